using Provisioning.Application.Apps;
using Provisioning.Application.Common.Paging;

namespace Provisioning.WebApi.Contracts.V1;

public sealed record V1AppListResponse(IReadOnlyList<V1App> Apps, bool HasMore, int Offset)
{
    public static V1AppListResponse From(OffsetPage<AppDto> page) => new([.. page.Items.Select(V1App.From)], page.HasMore, page.Offset);
}
