namespace Provisioning.Application.Keys;

/// <summary>An app key, as Sunshine Conversations shows it: always with its secret.</summary>
public sealed record AppKeyDto(string Id, string DisplayName, string Secret, bool Disabled, DateTimeOffset? ExpiresAt);
