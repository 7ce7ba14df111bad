using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>One broken rule of a request, naming the field as it appears on the wire.</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>The request breaks one or more input rules: 400.</summary>
public sealed class RequestValidationException(IReadOnlyList<FieldError> errors)
    : ExpectedException("bad_request", 400, "The request is not valid: " + string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")))
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;

    public RequestValidationException(string field, string message) : this([new FieldError(field, message)])
    {
    }
}

/// <summary>The resource does not exist or the caller may not see it: 404. Both look the same. Apps say <c>app_not_found</c>, as Sunshine does.</summary>
public sealed class NotFoundException(string resource)
    : ExpectedException(resource == "App" ? "app_not_found" : "not_found", 404, $"{resource} not found.")
{
    public string Resource { get; } = resource;

    public static NotFoundException App() => new("App");
}

/// <summary>The caller is authenticated but may not do this: 403.</summary>
public sealed class ForbiddenException(string message) : ExpectedException("forbidden", 403, message);

/// <summary>A uniqueness rule or a state conflict: 409.</summary>
public sealed class ConflictException(string message) : ExpectedException("conflict", 409, message);

/// <summary>Credentials are missing or not valid: 401.</summary>
public sealed class UnauthorizedException(string message) : ExpectedException("unauthorized", 401, message);

/// <summary>An <c>Idempotency-Key</c> was sent again with a different request: 422, nothing runs.</summary>
public sealed class IdempotencyKeyReusedException()
    : ExpectedException("idempotency_key_reused", 422, "This Idempotency-Key was already used with a different request (method, path, On-Behalf-Of or body); use a new key for a new request.");
