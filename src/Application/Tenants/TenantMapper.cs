using Provisioning.Domain.Common;
using Provisioning.Domain.Tenants;
using Riok.Mapperly.Abstractions;

namespace Provisioning.Application.Tenants;

/// <summary>
/// Tenants and their users to DTOs. What needs the store — effective settings, the users' addresses, the app count — is
/// read by <see cref="TenantViews"/> and passed in.
/// </summary>
[Mapper]
public static partial class TenantMapper
{
    [MapperIgnoreSource(nameof(Tenant.Path))]
    [MapperIgnoreSource(nameof(Tenant.Depth))]
    [MapperIgnoreSource(nameof(Tenant.IsRoot))]
    [MapperIgnoreSource(nameof(Tenant.Users))]
    [MapperIgnoreSource(nameof(Tenant.LastCredentialUseAt))]
    [MapperIgnoreSource(nameof(Tenant.SuspendedBy))] // not in the contract's view; the events name who suspended
    public static partial TenantDto ToDto(
        this Tenant tenant,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> settings,
        IReadOnlyList<string> users,
        int appCount,
        DateTimeOffset? lastActivityAt);

    [MapperIgnoreSource(nameof(Tenant.Path))]
    [MapperIgnoreSource(nameof(Tenant.Depth))]
    [MapperIgnoreSource(nameof(Tenant.IsRoot))]
    [MapperIgnoreSource(nameof(Tenant.Users))]
    [MapperIgnoreSource(nameof(Tenant.OwnSettings))]
    [MapperIgnoreSource(nameof(Tenant.LastCredentialUseAt))]
    [MapperIgnoreSource(nameof(Tenant.SuspendedBy))] // not in the contract's view; the events name who suspended
    public static partial TenantSummaryDto ToSummary(this Tenant tenant);

    [MapperIgnoreSource(nameof(TenantUser.TenantId))]
    public static partial TenantUserDto ToDto(this TenantUser user);

    /// <summary>The same mapping as a query projection: only the columns the DTO needs are read.</summary>
    public static partial IQueryable<TenantUserDto> ProjectToDto(this IQueryable<TenantUser> users);

    private static string MapId(TenantId id) => id.Value;
}
