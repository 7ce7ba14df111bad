using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>One broken rule of a request, naming the field as it appears on the wire.</summary>
public sealed record FieldError(string Field, string Message);
