namespace Provisioning.Infrastructure.Idempotency;

/// <summary>
/// A stored answer to a request sent with <c>Idempotency-Key</c>, scoped to the credential that sent it. The body is
/// encrypted under the master key (it may hold a secret: a new key, a tenant token); the request is kept as a hash.
/// </summary>
internal sealed class IdempotencyRecord
{
    public string Scope { get; set; } = string.Empty;
    public string Key { get; set; } = string.Empty;
    public byte[] Fingerprint { get; set; } = [];
    public int Status { get; set; }
    public string? ContentType { get; set; }
    public string? Location { get; set; }
    public byte[] ProtectedBody { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
}
