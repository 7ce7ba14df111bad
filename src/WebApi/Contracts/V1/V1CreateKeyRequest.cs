namespace Provisioning.WebApi.Contracts.V1;

/// <summary>
/// Creating a key in the v1.1 shape: its name and, as on the v2 routes, an optional <c>expiresAt</c>. Any other field is
/// a 400 naming it (smooch-core sends <c>{name}</c> alone).
/// </summary>
// (Ignored, a misspelt expires_at made a key that never expires.)
public sealed record V1CreateKeyRequest([property: Hosting.OpenApi.DisplayNameLimits(Required = true)] string? Name, DateTimeOffset? ExpiresAt);
