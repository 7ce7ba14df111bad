using Provisioning.Application.Common.Paging;
using Provisioning.Application.ServiceAccounts;

namespace Provisioning.WebApi.Contracts.V1;

public sealed record V1ServiceAccountListResponse(IReadOnlyList<V1ServiceAccount> ServiceAccounts, bool HasMore, int Offset)
{
    public static V1ServiceAccountListResponse From(OffsetPage<ServiceAccountDto> page) =>
        new([.. page.Items.Select(V1ServiceAccount.From)], page.HasMore, page.Offset);
}
