using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;
using Provisioning.Domain.ServiceAccounts;
using Provisioning.Domain.Tenants;

namespace Provisioning.Application.Common.Security;

/// <summary>
/// The one access policy: which tenants, apps and service accounts a caller may see or change, and the ancestry
/// question. Every handler asks here, and so does On-Behalf-Of (through <see cref="IsSelfOrDescendantAsync"/>);
/// nobody re-derives it. Which credential kinds may send which message is declared on the message
/// (<see cref="AllowedCallersAttribute"/>, enforced by the authorization behavior). What the caller may not see is
/// 404, exactly as if it did not exist; a malformed id looks the same as a missing one.
/// </summary>
public static class CallerScope
{
    // ---- Ancestry: a tenant's path lists the ids from the root to itself, so "in the subtree of X" is one predicate.

    /// <summary>Tenants in the subtree of <paramref name="tenantId"/> (itself included), as a query predicate.</summary>
    public static Expression<Func<Tenant, bool>> InSubtreeOf(string tenantId) => t => t.Path.Contains(tenantId);

    /// <summary>True when the caller's own (home) tenant is a strict ancestor of <paramref name="tenant"/>: only then may it set limits, suspend or delete it.</summary>
    public static bool IsStrictAncestorOf(this Caller caller, Tenant tenant) => tenant.HasStrictAncestor(caller.HomeTenantId);

    /// <summary>On-Behalf-Of: may a caller whose home is <paramref name="home"/> act in <paramref name="target"/>? Itself or a descendant only.</summary>
    public static async Task<bool> IsSelfOrDescendantAsync(this IProvisioningDbContext db, TenantId home, string target, CancellationToken cancellationToken)
    {
        if (target == home.Value)
        {
            return true;
        }

        if (!IdGenerator.IsValid(target))
        {
            return false;
        }

        var id = new TenantId(target);
        return await db.Tenants.Where(InSubtreeOf(home.Value)).AnyAsync(t => t.Id == id, cancellationToken);
    }

    // ---- Tenants: the acting tenant and its descendants. `self` names the acting tenant.

    public const string Self = "self";

    public static async Task<Tenant> GetVisibleTenantAsync(
        this IProvisioningDbContext db, Caller caller, string idOrSelf, CancellationToken cancellationToken, bool withUsers = false)
    {
        var id = idOrSelf == Self ? caller.TenantId.Value : idOrSelf;
        if (!IdGenerator.IsValid(id))
        {
            throw NotFoundException.Tenant();
        }

        var tenantId = new TenantId(id);
        IQueryable<Tenant> query = withUsers ? db.Tenants.Include(t => t.Users) : db.Tenants;
        return await query.Where(InSubtreeOf(caller.TenantId.Value)).FirstOrDefaultAsync(t => t.Id == tenantId, cancellationToken)
            ?? throw NotFoundException.Tenant();
    }

    /// <summary>
    /// The caller's home or acting tenant (<paramref name="id"/> is one of the two), untracked. Authentication found it,
    /// so it is missing only when a delete of it (or of an ancestor) committed since: 404, as for any resource another
    /// request deleted while this one ran — or, in a change, 401 when the caller's key went with it (the home tenant
    /// deleted: the unit of work asks the database again after any 404 of a change).
    /// </summary>
    public static async Task<Tenant> GetCallersTenantAsync(this IProvisioningDbContext db, TenantId id, CancellationToken cancellationToken) =>
        await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, cancellationToken)
        ?? throw NotFoundException.Tenant();

    // ---- Apps: account keys reach every app of the acting tenant; service accounts the apps granted to them; app keys their own.

    /// <summary>True when the caller reaches every app of its acting tenant (account credentials), so that list is the tenant's own.</summary>
    public static bool SeesEveryAppOfTenant(this Caller caller) => caller.Kind == CallerKinds.Account;

    /// <summary>The service account whose grants bound the caller's apps: its own for a service account, else <paramref name="grantedTo"/>.</summary>
    public static ServiceAccountId? GranteeOf(this Caller caller, ServiceAccountId? grantedTo) =>
        caller.Kind == CallerKinds.ServiceAccount ? caller.ServiceAccountId!.Value : grantedTo;

    /// <summary>
    /// The apps the caller can reach; with <paramref name="grantedTo"/> only those granted to that service account (whether
    /// the caller may ask about it is the caller's check). A service account's apps are read from its grants
    /// (<see cref="IProvisioningDbContext.AppsGrantedTo"/>), so their pages stay flat in a tenant of many apps.
    /// </summary>
    public static IQueryable<App> VisibleApps(this IProvisioningDbContext db, Caller caller, ServiceAccountId? grantedTo = null)
    {
        var grantee = caller.GranteeOf(grantedTo);
        var apps = grantee is { } account ? db.AppsGrantedTo(caller.TenantId, account) : db.Apps.Where(a => a.TenantId == caller.TenantId);
        apps = caller.Kind switch
        {
            CallerKinds.Account or CallerKinds.ServiceAccount => apps,
            CallerKinds.App => apps.Where(a => a.Id == caller.AppId!.Value),
            _ => apps.Where(_ => false),
        };

        // A service account asking about another (ListApps refuses it before): the apps granted to both.
        return grantedTo is { } other && other != grantee
            ? apps.Where(a => db.AppGrants.Any(g => g.AppId == a.Id && g.ServiceAccountId == other))
            : apps;
    }

    /// <summary>
    /// Loads an app the caller can reach, or throws 404 <c>app_not_found</c>. <paramref name="tracked"/> false for a read that
    /// changes nothing (the app is not attached to the context: no snapshot, no identity-map entry).
    /// </summary>
    public static async Task<App> GetVisibleAppAsync(
        this IProvisioningDbContext db, Caller caller, string appId, CancellationToken cancellationToken, bool tracked = true)
    {
        if (!IdGenerator.IsValid(appId))
        {
            throw NotFoundException.App();
        }

        var id = new AppId(appId);
        var queries = tracked ? VisibleAppQueries.Tracked : VisibleAppQueries.Untracked;
        var app = db is DbContext context
            ? caller.Kind switch
            {
                CallerKinds.Account => await queries.OfAccount(context, caller.TenantId, id, cancellationToken),
                CallerKinds.ServiceAccount => await queries.OfServiceAccount(context, caller.TenantId, caller.ServiceAccountId!.Value, id, cancellationToken),
                CallerKinds.App => id == caller.AppId ? await queries.OfAccount(context, caller.TenantId, id, cancellationToken) : null,
                _ => null,
            }
            : await (tracked ? db.VisibleApps(caller) : db.VisibleApps(caller).AsNoTracking()).FirstOrDefaultAsync(a => a.Id == id, cancellationToken);
        return app ?? throw NotFoundException.App();
    }

    /// <summary>
    /// <see cref="GetVisibleAppAsync"/> for a change of the app or of its keys. A service account reaches the app through
    /// its grant, so the grant is locked until the change commits: a revoke racing the change either waits for it or, having
    /// committed first, makes the change a 404 — as if they ran one after the other (without the lock a key whose grant had
    /// just been revoked could still delete the app).
    /// </summary>
    public static async Task<App> GetVisibleAppForChangeAsync(
        this IProvisioningDbContext db, Caller caller, string appId, CancellationToken cancellationToken)
    {
        var app = await db.GetVisibleAppAsync(caller, appId, cancellationToken);
        if (caller.Kind == CallerKinds.ServiceAccount)
        {
            // The visibility query found the grant; only its key is needed to lock its row (gone since: 404 app_not_found).
            var grant = AppGrant.Create(caller.ServiceAccountId!.Value, app.Id, default);
            await db.LockForUpdateAsync(grant, cancellationToken, reload: false);
        }

        return app;
    }

    /// <summary>
    /// <see cref="VisibleApps"/> + one id, the query every app route starts with, compiled once (EF Core's
    /// <c>EF.CompileAsyncQuery</c>):
    /// building the LINQ tree, parameterising it and looking it up in the query cache cost more CPU per request than
    /// materialising the row. Same predicates and SQL as composing <see cref="VisibleApps"/>; an <c>app_</c> key reaches
    /// only its own app, so for it the id comparison happens here and the query is the account one.
    /// </summary>
    private sealed class VisibleAppQueries
    {
        public static readonly VisibleAppQueries Tracked = new(tracked: true);
        public static readonly VisibleAppQueries Untracked = new(tracked: false);

        public readonly Func<DbContext, TenantId, AppId, CancellationToken, Task<App?>> OfAccount;
        public readonly Func<DbContext, TenantId, ServiceAccountId, AppId, CancellationToken, Task<App?>> OfServiceAccount;

        private VisibleAppQueries(bool tracked)
        {
            OfAccount = tracked
                ? EF.CompileAsyncQuery((DbContext db, TenantId tenant, AppId id, CancellationToken _) =>
                    db.Set<App>().FirstOrDefault(a => a.TenantId == tenant && a.Id == id))
                : EF.CompileAsyncQuery((DbContext db, TenantId tenant, AppId id, CancellationToken _) =>
                    db.Set<App>().AsNoTracking().FirstOrDefault(a => a.TenantId == tenant && a.Id == id));
            OfServiceAccount = tracked
                ? EF.CompileAsyncQuery((DbContext db, TenantId tenant, ServiceAccountId serviceAccount, AppId id, CancellationToken _) =>
                    db.Set<App>().FirstOrDefault(a => a.TenantId == tenant && a.Id == id
                        && db.Set<AppGrant>().Any(g => g.AppId == a.Id && g.ServiceAccountId == serviceAccount)))
                : EF.CompileAsyncQuery((DbContext db, TenantId tenant, ServiceAccountId serviceAccount, AppId id, CancellationToken _) =>
                    db.Set<App>().AsNoTracking().FirstOrDefault(a => a.TenantId == tenant && a.Id == id
                        && db.Set<AppGrant>().Any(g => g.AppId == a.Id && g.ServiceAccountId == serviceAccount)));
        }
    }

    // ---- Account keys and provisioning keys: those of the acting tenant (account credentials only, per the messages'
    // declarations).

    public static IQueryable<ApiKey> VisibleAccountKeys(this IProvisioningDbContext db, Caller caller) =>
        db.ApiKeys.Where(k => k.TenantId == caller.TenantId && k.Kind == KeyKind.Account);

    public static IQueryable<ProvisioningKey> VisibleProvisioningKeys(this IProvisioningDbContext db, Caller caller) =>
        db.ProvisioningKeys.Where(k => k.TenantId == caller.TenantId);

    // ---- Service accounts: those of the acting tenant (account credentials only, per the messages' declarations).

    public static IQueryable<ServiceAccount> VisibleServiceAccounts(this IProvisioningDbContext db, Caller caller)
    {
        var tenant = caller.ServiceAccountsTenant();
        return db.ServiceAccounts.Where(s => s.TenantId == tenant);
    }

    /// <summary>The tenant whose service accounts the caller sees: every one of them, and no other.</summary>
    public static TenantId ServiceAccountsTenant(this Caller caller) => caller.TenantId;

    /// <summary>Loads a service account of the caller's tenant, or throws 404.</summary>
    public static async Task<ServiceAccount> GetServiceAccountAsync(this IProvisioningDbContext db, Caller caller, string id, CancellationToken cancellationToken)
    {
        if (!IdGenerator.IsValid(id))
        {
            throw NotFoundException.ServiceAccount();
        }

        var accountId = new ServiceAccountId(id);
        return await db.VisibleServiceAccounts(caller).FirstOrDefaultAsync(s => s.Id == accountId, cancellationToken)
            ?? throw NotFoundException.ServiceAccount();
    }

    /// <summary>
    /// <see cref="GetServiceAccountAsync"/> for a change of the account itself: its row is locked and read again, so that
    /// what the change compares is the row as it is once this request holds it (identical renames sent in parallel write
    /// one event, as if in turn).
    /// </summary>
    public static async Task<ServiceAccount> GetServiceAccountForChangeAsync(this IProvisioningDbContext db, Caller caller, string id, CancellationToken cancellationToken)
    {
        var account = await db.GetServiceAccountAsync(caller, id, cancellationToken);
        await db.LockForUpdateAsync(account, cancellationToken);
        return account;
    }
}
