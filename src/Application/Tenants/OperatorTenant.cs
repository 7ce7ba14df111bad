using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Domain.Common;
using Provisioning.Domain.Tenants;

namespace Provisioning.Application.Tenants;

/// <summary>A tenant as an operator verb names it (<c>--tenant</c>, <c>--under</c>): its id, or <see cref="Root"/>.</summary>
public static class OperatorTenant
{
    public const string Root = "root";

    /// <summary>Said where a verb finds no tenant at all: a database the service never started on (migrate makes none).</summary>
    public const string NoTenantsYet = "there are no tenants yet; the root tenant is created when the service first starts.";

    /// <summary>The tenant <paramref name="reference"/> names, untracked; not found (a mistyped id, "ROOT", no root yet on a
    /// database the service never started on) is a 404 naming it in the operator's own words.</summary>
    public static async Task<Tenant> NamedByOperatorAsync(this IQueryable<Tenant> tenants, string reference, CancellationToken cancellationToken)
    {
        tenants = tenants.AsNoTracking();
        var tenant = reference == Root
            ? await tenants.Where(t => t.ParentId == null).FirstOrDefaultAsync(cancellationToken)
            : IdGenerator.IsValid(reference)
                ? await tenants.Where(t => t.Id == new TenantId(reference)).FirstOrDefaultAsync(cancellationToken)
                : null;
        return tenant ?? throw NotFoundException.Tenant(reference, reference == Root ? NoTenantsYet : null);
    }
}
