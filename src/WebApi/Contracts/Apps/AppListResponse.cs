using Provisioning.Application.Apps;

namespace Provisioning.WebApi.Contracts;

public sealed record AppListResponse(IReadOnlyList<AppDto> Apps, PageMeta Meta, PageLinks Links);
