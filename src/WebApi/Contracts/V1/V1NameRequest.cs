namespace Provisioning.WebApi.Contracts.V1;

public sealed record V1NameRequest(string? Name);
