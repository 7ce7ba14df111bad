using System.Linq.Expressions;
using Provisioning.Domain.Common;

namespace Provisioning.Domain.Credentials;

/// <summary>
/// A credential: key id + secret. The secret is kept only in protected (encrypted) form; the
/// plaintext is needed to check HS256 signatures, so it is encrypted with a key that lives
/// outside the database rather than hashed.
/// </summary>
public sealed class ApiKey
{
    public const int MaxKeysPerOwner = 10;

    private ApiKey()
    {
        Id = default;
        DisplayName = string.Empty;
    }

    public KeyId Id { get; private set; }
    public KeyKind Kind { get; private set; }
    public TenantId TenantId { get; private set; }
    public ServiceAccountId? ServiceAccountId { get; private set; }
    public AppId? AppId { get; private set; }
    public string DisplayName { get; private set; }
    /// <summary>The secret encrypted under the master key: the key's own copy, which nobody changes in place.</summary>
    public ReadOnlyMemory<byte> ProtectedSecret { get; private set; }

    /// <summary>True for the opaque token handed out when a tenant is provisioned.</summary>
    public bool IsTenantToken { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? LastUsedAt { get; private set; }

    /// <summary>A disabled key answers 401 until it is enabled again (nothing about it is lost).</summary>
    public bool Disabled { get; private set; }

    /// <summary>From this instant on the key, and every JWT signed with it, answers 401; null: it does not expire.</summary>
    public DateTimeOffset? ExpiresAt { get; private set; }

    /// <summary>Disables or enables the key (for account keys, check <see cref="EnsureMayStopWorking"/> first); true when that changed it.</summary>
    public bool SetDisabled(bool disabled)
    {
        var changed = Disabled != disabled;
        Disabled = disabled;
        return changed;
    }

    /// <summary>Sets when the key stops working (see <see cref="KeyLifetime"/>); only when it is made.</summary>
    public ApiKey Expiring(DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        ExpiresAt = KeyLifetime.Check(expiresAt, now);
        return this;
    }

    // Each factory takes the secret's protection as a function of the key it is made for: a stored secret is bound to its key's
    // id, kind, tenant and owner (the application's SecretBinding), which are all set before it is protected.

    public static ApiKey ForAccount(TenantId tenant, string displayName, Func<ApiKey, byte[]> protectSecret, DateTimeOffset now, bool isTenantToken = false) =>
        Account(KeyId.New(KeyKind.Account), tenant, displayName, protectSecret, now, isTenantToken);

    /// <summary>An account key with an id chosen by the operator (bootstrap from configuration).</summary>
    public static ApiKey ForAccountWithId(KeyId id, TenantId tenant, string displayName, Func<ApiKey, byte[]> protectSecret, DateTimeOffset now) =>
        KeyId.IsAccountId(id.Value)
            ? Account(id, tenant, displayName, protectSecret, now, isTenantToken: false)
            : throw new DomainRuleException("keyId", "An account key id must be 'act_' followed by 24 lowercase hex characters.");

    private static ApiKey Account(KeyId id, TenantId tenant, string displayName, Func<ApiKey, byte[]> protectSecret, DateTimeOffset now, bool isTenantToken) =>
        new ApiKey
        {
            Id = id,
            Kind = KeyKind.Account,
            TenantId = tenant,
            DisplayName = Common.DisplayName.Normalize(displayName),
            IsTenantToken = isTenantToken,
            CreatedAt = now,
        }.WithSecret(protectSecret);

    public static ApiKey ForServiceAccount(TenantId tenant, ServiceAccountId owner, string displayName, Func<ApiKey, byte[]> protectSecret, DateTimeOffset now) =>
        new ApiKey
        {
            Id = KeyId.New(KeyKind.ServiceAccount),
            Kind = KeyKind.ServiceAccount,
            TenantId = tenant,
            ServiceAccountId = owner,
            DisplayName = Common.DisplayName.Normalize(displayName),
            CreatedAt = now,
        }.WithSecret(protectSecret);

    public static ApiKey ForApp(TenantId tenant, AppId owner, string displayName, Func<ApiKey, byte[]> protectSecret, DateTimeOffset now) =>
        new ApiKey
        {
            Id = KeyId.New(KeyKind.App),
            Kind = KeyKind.App,
            TenantId = tenant,
            AppId = owner,
            DisplayName = Common.DisplayName.Normalize(displayName),
            CreatedAt = now,
        }.WithSecret(protectSecret);

    private ApiKey WithSecret(Func<ApiKey, byte[]> protectSecret)
    {
        ProtectedSecret = protectSecret(this);
        return this;
    }

    /// <summary>Enabled and not expired at <paramref name="now"/>.</summary>
    public bool WorksAt(DateTimeOffset now) => KeyLifetime.Works(Disabled, ExpiresAt, now);

    /// <summary>
    /// A tenant keeps a working account key (enabled, not expired) that lasts at least as long as any it stops, so it can
    /// never lock itself out, now or when a key expires: deleting or disabling a working key is a conflict unless another
    /// works and expires no sooner (or never). An expired or disabled key counts for nothing, neither as this one nor as
    /// the others (<paramref name="otherLastingAccountKeys"/>, counted under the tenant's lock).
    /// </summary>
    public void EnsureMayStopWorking(int otherLastingAccountKeys, DateTimeOffset now)
    {
        if (Kind == KeyKind.Account && WorksAt(now) && otherLastingAccountKeys == 0)
        {
            throw new DomainConflictException(
                "This is the tenant's last working account key that lasts as long as it does (enabled, and expiring no sooner); " +
                "create another one first.");
        }
    }

    /// <summary>
    /// The keys that stand in for <paramref name="key"/> when it stops working at <paramref name="now"/> (what
    /// <see cref="EnsureMayStopWorking"/> counts): every other key that works then (<see cref="WorksAt"/>) and keeps working
    /// at least as long as it would — no expiry, or one no sooner than its. An expression, so that the database counts by
    /// this very rule; <c>ApiKeyTests</c> holds its first half to <see cref="WorksAt"/>.
    /// </summary>
    public static Expression<Func<ApiKey, bool>> StandsInFor(ApiKey key, DateTimeOffset now)
    {
        var id = key.Id;
        var until = key.ExpiresAt;
        return k => k.Id != id && !k.Disabled && (k.ExpiresAt == null || (k.ExpiresAt > now && until != null && k.ExpiresAt >= until));
    }

    /// <summary>Fails when an owner already holds the maximum number of keys.</summary>
    public static void EnsureRoomForAnother(int existingKeys)
    {
        if (existingKeys >= MaxKeysPerOwner)
        {
            throw new DomainRuleException("key", $"At most {MaxKeysPerOwner} keys are allowed here; delete one first.");
        }
    }
}
