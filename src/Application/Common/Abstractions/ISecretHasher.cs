namespace Provisioning.Application.Common.Abstractions;

/// <summary>One-way hashes for secrets that are only ever checked (provisioning keys).</summary>
public interface ISecretHasher
{
    byte[] Hash(string secret);

    /// <summary>Constant-time comparison of a presented secret with a stored hash.</summary>
    bool Verify(string secret, ReadOnlyMemory<byte> hash);
}
