using System.ComponentModel;

namespace Provisioning.Domain.Audit;

/// <summary>
/// What a change was: one value per use case. The wire name is the value's name split before its last word and
/// camel-cased (<see cref="AppCreated"/> is <c>app.created</c>, <see cref="AppAccessGranted"/> is
/// <c>appAccess.granted</c>); <see cref="AuditEventTypes.WireName"/> makes it. Each value's description says when it
/// happens; docs/events.md's table is generated from them (and a test keeps it so).
/// A command names its type (<c>IAuditedCommand</c>); nobody types the string.
/// </summary>
public enum AuditEventType
{
    [Description("The root tenant and its first account key were created at first start (operator).")]
    TenantBootstrapped = 1,

    [Description("A child tenant was provisioned (with its token and users).")]
    TenantProvisioned,

    [Description("A tenant's name, logo, settings, contacts or budgets changed.")]
    TenantUpdated,

    [Description("A tenant was suspended by an ancestor (its subtree answers 403 `tenant_suspended`), or its suspension passed to an ancestor above the one holding it.")]
    TenantSuspended,

    [Description("A suspended tenant was made active again.")]
    TenantResumed,

    [Description("A tenant and everything under it was deleted.")]
    TenantDeleted,

    [Description("A user was added to a tenant.")]
    TenantUserAdded,

    [Description("A user was removed from a tenant.")]
    TenantUserRemoved,

    [Description("An app was created.")]
    AppCreated,

    [Description("An app's name, settings or metadata changed.")]
    AppUpdated,

    [Description("An app and its keys were deleted.")]
    AppDeleted,

    [Description("An app key was created.")]
    AppKeyCreated,

    [Description("An app key was deleted.")]
    AppKeyDeleted,

    [Description("An account key was created (also by the operator's `create-account-key`).")]
    AccountKeyCreated,

    [Description("An account key was deleted.")]
    AccountKeyDeleted,

    [Description("A service account was created.")]
    ServiceAccountCreated,

    [Description("A service account was renamed.")]
    ServiceAccountUpdated,

    [Description("A service account, its keys and its grants were deleted.")]
    ServiceAccountDeleted,

    [Description("A service account key was created.")]
    ServiceAccountKeyCreated,

    [Description("A service account key was deleted.")]
    ServiceAccountKeyDeleted,

    [Description("A service account was granted access to an app.")]
    AppAccessGranted,

    [Description("A service account's access to an app was revoked.")]
    AppAccessRevoked,

    [Description("A provisioning key was created.")]
    ProvisioningKeyCreated,

    [Description("A provisioning key was deleted.")]
    ProvisioningKeyDeleted,

    [Description("A key of any kind (account, service account, app, provisioning) was disabled.")]
    KeyDisabled,

    [Description("A disabled key was enabled again.")]
    KeyEnabled,

    // Added last: the generated clients number an enum's members in this order, and a member put between others
    // renumbered those after it in the C# client.
    [Description("A former user's email address was erased by the operator's `erase-address` (a person's request to be forgotten): that user's events, and this one, name a pseudonym (`erased_…`) instead.")]
    TenantUserErased,
}
