namespace Provisioning.WebApi.Contracts.V1;

public sealed record V1AppResponse(V1App App);
