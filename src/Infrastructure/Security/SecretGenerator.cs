using System.Buffers.Text;
using System.Security.Cryptography;
using Provisioning.Application.Common.Abstractions;

namespace Provisioning.Infrastructure.Security;

/// <summary>32 random bytes, base64url without padding (43 characters).</summary>
public sealed class SecretGenerator : ISecretGenerator
{
    public string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
