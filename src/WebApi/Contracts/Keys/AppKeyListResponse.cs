using Provisioning.Application.Keys;

namespace Provisioning.WebApi.Contracts;

public sealed record AppKeyListResponse(IReadOnlyList<AppKeyDto> Keys);
