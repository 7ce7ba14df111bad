using System.Text.Json.Serialization;
using Provisioning.Application.ServiceAccounts;

namespace Provisioning.WebApi.Contracts.V1;

public sealed record V1ServiceAccount([property: JsonPropertyName("_id")] string Id, string Name)
{
    public static V1ServiceAccount From(ServiceAccountDto account) => new(account.Id, account.DisplayName);
}
