using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Audit;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>Filters of <c>GET /v2/events</c>; each null means "any".</summary>
public sealed record AuditEventFilter(string? Type = null, string? ResourceId = null, TenantId? TenantId = null);
