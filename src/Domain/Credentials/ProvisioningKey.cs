using Provisioning.Domain.Common;

namespace Provisioning.Domain.Credentials;

/// <summary>
/// A tenant's separate secret that, together with an account credential, allows creating child
/// tenants. Only a hash of the secret is stored: it is checked, never shown again.
/// </summary>
public sealed class ProvisioningKey
{
    private ProvisioningKey()
    {
        DisplayName = string.Empty;
    }

    public KeyId Id { get; private set; }
    public TenantId TenantId { get; private set; }
    public string DisplayName { get; private set; }
    /// <summary>The hash of the secret: the key's own copy, which nobody changes in place.</summary>
    public ReadOnlyMemory<byte> SecretHash { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>A disabled provisioning key provisions nothing until it is enabled again.</summary>
    public bool Disabled { get; private set; }

    /// <summary>From this instant on the key provisions nothing; null: it does not expire.</summary>
    public DateTimeOffset? ExpiresAt { get; private set; }

    public bool WorksAt(DateTimeOffset now) => KeyLifetime.Works(Disabled, ExpiresAt, now);

    /// <summary>Disables or enables the key; true when that changed it.</summary>
    public bool SetDisabled(bool disabled)
    {
        var changed = Disabled != disabled;
        Disabled = disabled;
        return changed;
    }

    public static ProvisioningKey Create(TenantId tenant, string displayName, ReadOnlySpan<byte> secretHash, DateTimeOffset now, DateTimeOffset? expiresAt = null) =>
        new()
        {
            Id = KeyId.NewProvisioning(),
            TenantId = tenant,
            DisplayName = Common.DisplayName.Normalize(displayName),
            SecretHash = secretHash.ToArray(),
            CreatedAt = now,
            ExpiresAt = KeyLifetime.Check(expiresAt, now),
        };
}
