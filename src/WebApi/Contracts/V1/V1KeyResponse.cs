namespace Provisioning.WebApi.Contracts.V1;

public sealed record V1KeyResponse(V1Key Key);
