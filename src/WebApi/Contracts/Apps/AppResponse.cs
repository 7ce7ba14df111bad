using Provisioning.Application.Apps;

namespace Provisioning.WebApi.Contracts;

public sealed record AppResponse(AppDto App);
