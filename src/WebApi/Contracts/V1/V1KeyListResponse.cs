namespace Provisioning.WebApi.Contracts.V1;

public sealed record V1KeyListResponse(IReadOnlyList<V1Key> Keys);
