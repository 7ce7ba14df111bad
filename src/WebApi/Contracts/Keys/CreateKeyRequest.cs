namespace Provisioning.WebApi.Contracts;

/// <summary>
/// Creating a key: its display name, and optionally when it stops working (RFC 3339, in the future, at most 10 years
/// ahead; absent or null: never).
/// </summary>
public sealed record CreateKeyRequest(string? DisplayName, DateTimeOffset? ExpiresAt);
