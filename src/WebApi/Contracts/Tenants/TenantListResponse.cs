using Provisioning.Application.Tenants;

namespace Provisioning.WebApi.Contracts;

public sealed record TenantListResponse(IReadOnlyList<TenantSummaryDto> Tenants, PageMeta Meta, PageLinks Links);
