using System.Text.Json;
using System.Text.Json.Serialization;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.WebApi.Errors;

/// <summary>Writes errors in the envelope of the route's API version: <c>/v1.1/…</c> gets v1.1's, everything else v2's.</summary>
public static class ErrorEnvelope
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // As MVC writes every other body (its output formatter's encoder when none is set): "Zürich", not "Z\u00FCrich",
        // and a quote as itself. The bodies are application/json, never HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static bool IsV1(HttpContext context) => context.Request.Path.StartsWithSegments("/v1.1");

    /// <summary>
    /// The errors in the route's envelope, each title as read: what it quotes of the request (an address, a field's name)
    /// with a control character, line break, bidi control or direction mark written as its escape
    /// (<see cref="Domain.Common.Text.Visible"/>): the JSON encoders leave U+202E as it is, which reversed the rest of the
    /// sentence where a person read it (a probe). Every error body but the web server's own fixed ones comes here.
    /// </summary>
    public static object Body(HttpContext context, IReadOnlyList<ApiError> errors)
    {
        var shown = errors.Select(e => e with { Title = Domain.Common.Text.Visible(e.Title) }).ToList();
        return IsV1(context)
            ? new V1ErrorResponse(new V1Error(shown[0].Code, string.Join(" ", shown.Select(e => e.Title)), shown[0].RequestId))
            : new V2ErrorResponse(shown);
    }

    /// <summary>
    /// A rule's sentence about <paramref name="field"/> in the request's own terms: v1.1 calls "displayName" "name", so a
    /// sentence that begins with that field (as every rule's does) begins with "name" there. Only that: what the client
    /// sent, quoted in the sentence, stays as sent, and the body's own errors (an unknown field, a wrong type) already
    /// name its fields as sent — a blanket replace told a v1.1 client that sent displayName "name is not a field".
    /// </summary>
    public static string InRequestTerms(HttpContext context, string field, string sentence) =>
        IsV1(context) ? Renamed(field, sentence, V2NameField, V1NameField) : sentence;

    /// <summary>
    /// A rule's sentence about <paramref name="field"/>, which begins with the field's name, with that name said as
    /// <paramref name="to"/> when the field is <paramref name="from"/> (the request, or the command line, calls it so).
    /// </summary>
    public static string Renamed(string field, string sentence, string from, string to) =>
        field.Equals(from, StringComparison.OrdinalIgnoreCase) && sentence.StartsWith(from, StringComparison.Ordinal)
            ? to + sentence[from.Length..]
            : sentence;

    /// <summary>The field a v2 body names a resource's name by, and its rules' sentences begin with.</summary>
    internal const string V2NameField = "displayName";
    private const string V1NameField = "name";

    /// <summary>The challenges of a 401: HTTP Basic (a key id and secret, or a tenant token as the password) and a bearer JWT.</summary>
    public const string Challenge = "Basic realm=\"Provisioning\", Bearer";

    /// <summary>The <c>Retry-After</c> of every 503.</summary>
    public const string UnavailableRetryAfterSeconds = "1";

    public static Task WriteAsync(HttpContext context, int status, IReadOnlyList<ApiError> errors)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (status == StatusCodes.Status401Unauthorized && !context.Response.Headers.ContainsKey(Microsoft.Net.Http.Headers.HeaderNames.WWWAuthenticate))
        {
            // RFC 9110 §11.6.1: a 401 says how to authenticate (a JWT's failure at authentication already said "Bearer"; one
            // refused later, its key revoked while the body arrived, says the same).
            context.Response.Headers.WWWAuthenticate =
                Authentication.AuthenticationSchemes.BearerJwt(context.Request.Headers.Authorization.ToString()) is null ? Challenge : "Bearer";
        }

        if (status >= 500)
        {
            errors = [.. errors.Select(e => e with { RequestId = context.TraceIdentifier })];
        }

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            // RFC 9110 §10.2.3: how long a well-behaved client waits before it tries again (a lock or a statement that timed out
            // clears at once; a database restarting takes a few seconds, which a client's own back-off adds to this).
            context.Response.Headers.RetryAfter = UnavailableRetryAfterSeconds;
        }

        var body = Body(context, errors);
        return JsonSerializer.SerializeAsync(context.Response.Body, body, body.GetType(), Json, context.RequestAborted);
    }

    public static Task WriteAsync(HttpContext context, int status, string code, string title) =>
        WriteAsync(context, status, [new ApiError(code, title)]);

    /// <summary>One error whose code is its status's (<see cref="ForStatus"/>) and whose text is <paramref name="title"/>.</summary>
    public static Task WriteAsync(HttpContext context, int status, string title) => WriteAsync(context, status, [Error(status, title)]);

    /// <summary>An error with its status's code (<see cref="ForStatus"/>): the code is never typed where the status is known.</summary>
    public static ApiError Error(int status, string title) => new(ForStatus(status).Code, title);

    /// <summary>An error with its status's code and text (<see cref="ForStatus"/>).</summary>
    public static ApiError Default(int status)
    {
        var (code, title) = ForStatus(status);
        return new ApiError(code, title);
    }

    /// <summary>
    /// The 404 for a path no route of the service matches, told apart from a record that is not found (same code): an
    /// integrator calling a route of Sunshine's messaging API, which this service does not implement, learns so.
    /// </summary>
    public const string NoRoute =
        "No route of this service matches this path. It implements Sunshine Conversations' account provisioning (apps, app keys, " +
        "account keys, service accounts), tenant provisioning and audit events; the messaging routes (users, conversations, " +
        "integrations, webhooks) are not part of it. Its routes are listed in /openapi/v1.json.";

    /// <summary>The 404 for a path with an empty segment, which no route has: most often a base URL ending in '/'.</summary>
    public const string EmptySegment =
        "No route of this service matches this path: it has an empty segment ('//'). A client's base URL that ends in '/' " +
        "is the usual cause: give it without the trailing slash.";

    /// <summary>The code and text for a status that carries no more specific error.</summary>
    public static (string Code, string Title) ForStatus(int status) => status switch
    {
        400 => ("bad_request", "The request is not valid."),
        401 => ("unauthorized", Application.Common.Exceptions.UnauthorizedException.Credentials),
        402 => ("payment_required", "The tenant has reached its plan limit."),
        403 => ("forbidden", Application.Common.Exceptions.ForbiddenException.NotAllowed),
        404 => ("not_found", "Not found."),
        405 => ("method_not_allowed", "This method is not allowed on this route."),
        408 => ("request_timeout", "The request body stopped arriving; send it again, whole."),
        409 => ("conflict", "The request conflicts with the current state."),
        413 => ("request_entity_too_large", $"The request body is larger than {RequestLimitsMiddleware.MaxBodyBytes / 1024} KB."),
        414 => ("uri_too_long", "The request target is too long."),
        415 => ("unsupported_media_type", "The request body must be JSON (Content-Type: application/json)."),
        429 => ("too_many_requests", "Too many requests; retry later."),
        431 => ("request_header_fields_too_large", "The request headers are too large."),
        503 => ("service_unavailable", "The service is unavailable; retry later."),
        505 => ("http_version_not_supported", "Only HTTP/1.0, HTTP/1.1 and (with TLS) HTTP/2 are spoken here."),
        >= 500 => ("internal_error", "An internal error occurred."),
        _ => ("bad_request", "The request is not valid."),
    };
}
