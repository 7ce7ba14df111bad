namespace Provisioning.WebApi.Contracts;

/// <summary>A body with only a display name (service accounts); any other field is a 400 naming it.</summary>
// (Ignored, {"name":…} answered a rename with 200 and no change: a probe.)
public sealed record DisplayNameRequest([property: Hosting.OpenApi.DisplayNameLimits(Required = true)] string? DisplayName);
