using System.Text.Json.Serialization;
using Provisioning.Application.Keys;

namespace Provisioning.WebApi.Contracts.V1;

public sealed record V1Key([property: JsonPropertyName("_id")] string Id, string Name, string Secret)
{
    public static V1Key From(KeyDto key) => new(key.Id, key.DisplayName, key.Secret ?? string.Empty);

    public static V1Key From(AppKeyDto key) => new(key.Id, key.DisplayName, key.Secret);
}
