using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>Credentials are missing or not valid: 401.</summary>
public sealed class UnauthorizedException(string message) : ExpectedException("unauthorized", 401, message);
