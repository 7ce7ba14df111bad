using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>The caller is authenticated but may not do this: 403.</summary>
public sealed class ForbiddenException(string message) : ExpectedException("forbidden", 403, message);
