using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Apps;

/// <summary>Which apps a caller can reach. Everything that reads or changes an app goes through here.</summary>
public static class AppAccess
{
    /// <summary>
    /// Account keys reach every app of their tenant; service accounts the apps granted to them;
    /// app keys only their own app.
    /// </summary>
    public static IQueryable<App> VisibleTo(this IProvisioningDbContext db, Caller caller)
    {
        var apps = db.Apps.Where(a => a.TenantId == caller.TenantId);
        return caller.Kind switch
        {
            CallerKinds.Account => apps,
            CallerKinds.ServiceAccount => apps.Where(a =>
                db.AppGrants.Any(g => g.AppId == a.Id && g.ServiceAccountId == caller.ServiceAccountId!.Value)),
            CallerKinds.App => apps.Where(a => a.Id == caller.AppId!.Value),
            _ => apps.Where(_ => false),
        };
    }

    /// <summary>Loads an app the caller can reach, or throws 404 <c>app_not_found</c> (a malformed id looks the same as a missing one).</summary>
    public static async Task<App> GetVisibleAppAsync(this IProvisioningDbContext db, Caller caller, string appId, CancellationToken cancellationToken)
    {
        if (!IdGenerator.IsValid(appId))
        {
            throw NotFoundException.App();
        }

        var id = new AppId(appId);
        return await db.VisibleTo(caller).FirstOrDefaultAsync(a => a.Id == id, cancellationToken)
            ?? throw NotFoundException.App();
    }
}
