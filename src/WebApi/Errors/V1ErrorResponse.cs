namespace Provisioning.WebApi.Errors;

/// <summary>v1.1 envelope: <c>{"error":{"code","description"}}</c>.</summary>
public sealed record V1ErrorResponse(V1Error Error);
