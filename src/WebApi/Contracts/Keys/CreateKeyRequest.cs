namespace Provisioning.WebApi.Contracts;

/// <summary>
/// Creating a key: its display name, and optionally when it stops working (RFC 3339, in the future, at most 10 years
/// ahead; absent or null: never). Any other field is a 400 naming it.
/// </summary>
// (Ignored, a misspelt expires_at made a key that never expires, answered 201.)
public sealed record CreateKeyRequest([property: Hosting.OpenApi.DisplayNameLimits(Required = true)] string? DisplayName, DateTimeOffset? ExpiresAt);
