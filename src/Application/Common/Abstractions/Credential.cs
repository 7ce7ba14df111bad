using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// A key as authentication needs it: who it speaks for, its secret in plaintext (held in memory only), and its state:
/// disabled, when it expires, whether its tenant or an ancestor is suspended.
/// </summary>
/// <param name="CustomerTenantId">
/// The customer the key belongs to: the root's child its tenant is or is under (the root, for the root's own keys). The
/// unit of the front door's concurrency limit: a tenant makes keys and child tenants at will, a customer's subtree is one.
/// Null when not known (no lookup).
/// </param>
public sealed record Credential(
    KeyId KeyId,
    KeyKind Kind,
    TenantId TenantId,
    ServiceAccountId? ServiceAccountId,
    AppId? AppId,
    string Secret,
    bool Disabled = false,
    DateTimeOffset? ExpiresAt = null,
    bool TenantSuspended = false,
    bool IsTenantToken = false,
    TenantId? CustomerTenantId = null)
{
    /// <summary>Printed without the secret (held in plaintext here).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"KeyId = {KeyId}, Kind = {Kind}, TenantId = {TenantId}, Disabled = {Disabled}, ExpiresAt = {ExpiresAt}, ")
            .Append($"TenantSuspended = {TenantSuspended}, IsTenantToken = {IsTenantToken}, Secret = (secret)");
        return true;
    }

    /// <summary>
    /// Whether a verified credential may act now: false for a key that does not work (<see cref="KeyLifetime.Works"/>:
    /// refused as if it did not exist, 401); for a working key of a suspended tenant it does not return but throws
    /// <see cref="Domain.Tenants.TenantSuspendedException"/> (known, but refused: 403 <c>tenant_suspended</c>).
    /// </summary>
    public bool IsUsableAt(DateTimeOffset now)
    {
        if (!KeyLifetime.Works(Disabled, ExpiresAt, now))
        {
            return false;
        }

        return TenantSuspended ? throw new Domain.Tenants.TenantSuspendedException() : true;
    }
}
