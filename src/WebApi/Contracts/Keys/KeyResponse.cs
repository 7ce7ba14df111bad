using Provisioning.Application.Keys;

namespace Provisioning.WebApi.Contracts;

public sealed record KeyResponse(KeyDto Key);
