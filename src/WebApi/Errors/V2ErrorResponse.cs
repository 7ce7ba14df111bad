namespace Provisioning.WebApi.Errors;

/// <summary>v2 envelope: <c>{"errors":[{"code","title"}]}</c>.</summary>
public sealed record V2ErrorResponse(IReadOnlyList<ApiError> Errors);
