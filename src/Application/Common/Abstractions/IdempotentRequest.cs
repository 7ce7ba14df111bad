namespace Provisioning.Application.Common.Abstractions;

/// <summary>A request sent with <c>Idempotency-Key</c>: the credential it is scoped to, the key, and a hash of the request.</summary>
public sealed record IdempotentRequest(string Scope, string Key, byte[] Fingerprint);
