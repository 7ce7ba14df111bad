using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>A uniqueness rule or a state conflict: 409.</summary>
public sealed class ConflictException(string message) : ExpectedException("conflict", 409, message);
