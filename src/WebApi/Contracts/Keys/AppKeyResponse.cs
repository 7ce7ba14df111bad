using Provisioning.Application.Keys;

namespace Provisioning.WebApi.Contracts;

public sealed record AppKeyResponse(AppKeyDto Key);
