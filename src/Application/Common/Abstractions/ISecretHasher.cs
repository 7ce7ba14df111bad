namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// One-way hashes for secrets that are only ever checked (provisioning keys), looked up by their hash: a secret is 256 random
/// bits, so its hash is as unique as it is, and the hash of one gives nothing towards the secret (a lookup's timing with it).
/// </summary>
public interface ISecretHasher
{
    byte[] Hash(string secret);
}
