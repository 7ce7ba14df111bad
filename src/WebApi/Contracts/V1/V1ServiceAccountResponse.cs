namespace Provisioning.WebApi.Contracts.V1;

public sealed record V1ServiceAccountResponse(V1ServiceAccount ServiceAccount);
