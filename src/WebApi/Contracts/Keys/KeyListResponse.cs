using Provisioning.Application.Keys;

namespace Provisioning.WebApi.Contracts;

public sealed record KeyListResponse(IReadOnlyList<KeyDto> Keys);
