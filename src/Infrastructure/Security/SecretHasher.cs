using System.Security.Cryptography;
using System.Text;
using Provisioning.Application.Common.Abstractions;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// SHA-256 of the secret. Secrets hashed here are 256-bit random values made by
/// <see cref="SecretGenerator"/>, so a fast hash is enough: there is nothing to brute-force.
/// </summary>
public sealed class SecretHasher : ISecretHasher
{
    public byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
