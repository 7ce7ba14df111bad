namespace Provisioning.WebApi.Contracts.V1;

/// <summary>
/// A v1.1 service account's body, <c>{"name"}</c>. A field it does not have is 400 (errors.md), as in v2: a misspelt
/// <c>name</c> would otherwise be a create that fails on a blank name, or an update that silently changes nothing.
/// </summary>
public sealed record V1NameRequest([property: Hosting.OpenApi.DisplayNameLimits(Required = true)] string? Name);
