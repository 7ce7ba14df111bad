using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>The request breaks one or more input rules: 400.</summary>
public sealed class RequestValidationException(IReadOnlyList<FieldError> errors)
    : ExpectedException("bad_request", 400, "The request is not valid: " + string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")))
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;

    public RequestValidationException(string field, string message) : this([new FieldError(field, message)])
    {
    }
}
