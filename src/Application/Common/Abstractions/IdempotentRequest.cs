namespace Provisioning.Application.Common.Abstractions;

/// <summary>A request sent with <c>Idempotency-Key</c>: the credential it is scoped to, the key, and a hash of the request.</summary>
public sealed record IdempotentRequest(string Scope, string Key, byte[] Fingerprint)
{
    /// <summary>The longest key a client may send (API.md §10), and the column that holds it.</summary>
    public const int MaxKeyLength = 255;
}
