using Provisioning.Domain.Credentials;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>What a revocation notice revokes (<see cref="Revocation.Parse"/>): every cached credential, or these keys and every key at or below these tenants.</summary>
public sealed record RevocationNotice(bool Everything, IReadOnlyList<KeyId> Keys, IReadOnlyList<string> Tenants)
{
    public static readonly RevocationNotice None = new(false, [], []);

    public bool IsEmpty => !Everything && Keys.Count == 0 && Tenants.Count == 0;
}
