namespace Provisioning.WebApi.Contracts.V1;

/// <summary>Creating a key in the v1.1 shape: its name and, as on the v2 routes, an optional <c>expiresAt</c>.</summary>
public sealed record V1CreateKeyRequest(string? Name, DateTimeOffset? ExpiresAt);
