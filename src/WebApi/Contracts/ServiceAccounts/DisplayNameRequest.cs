namespace Provisioning.WebApi.Contracts;

/// <summary>A body with only a display name (service accounts).</summary>
public sealed record DisplayNameRequest(string? DisplayName);
