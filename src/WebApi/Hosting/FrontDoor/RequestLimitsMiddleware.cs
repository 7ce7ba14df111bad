using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Net.Http.Headers;
using Provisioning.WebApi.Errors;

namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// The request's shape, checked before anything else so that every refusal is in the route's JSON envelope:
/// <list type="bullet">
/// <item>a request target over 8 KB is 414, headers over 32 KB in all are 431 (Kestrel's own limits are set
/// higher, see <see cref="ConfigureKestrel"/>, so that it is this middleware, not the server, that answers);</item>
/// <item>a body over 100 KB is 413: by Content-Length at once, and for chunked bodies by the server's limit while
/// reading (surfacing as a 413 from the exception handler). A body declared up to <see cref="MaxDiscardedBodyBytes"/>
/// is then read and thrown away by the server (its drain after the answer), so that a client still sending it
/// receives the 413 instead of a reset connection (EPIPE in Node's HTTP client) and keeps its connection;</item>
/// <item>a path with a <c>.</c> or <c>..</c> segment (also spelled <c>%2E</c>) is 400: the server collapses them before
/// routing, so <c>DELETE /v2/tenants/{id}/users/..</c> — a user's address as <c>encodeURIComponent</c> leaves it — would
/// otherwise delete the tenant;</item>
/// <item>a body whose Content-Type names a charset other than UTF-8 is 415 (the API reads UTF-8 JSON only); UTF-8 in
/// any spelling (<c>"utf-8"</c> quoted, <c>utf8</c>) is written back as <c>charset=utf-8</c>, the one spelling the JSON
/// reader takes;</item>
/// <item>a body with a <c>Content-Encoding</c> other than <c>identity</c> is 415 with <c>Accept-Encoding: identity</c>
/// (RFC 9110 §15.5.16, RFC 7694): the service does not decompress, and a gzip body was read as not JSON (400) while
/// the header on a plain body was ignored (201).</item>
/// <item>a method not in capitals (<c>delete</c>, <c>patch</c>) is 400 naming the spelling to send: methods are
/// case-sensitive (RFC 9110 §9.1), and routing matched them without regard to case, so <c>delete</c> deleted past a proxy
/// whose rules name <c>DELETE</c>. (A client's <c>fetch</c> with <c>method: 'patch'</c> sends it as written; nginx and
/// Node's server refuse it too. A 4xx, as the API's refusals of a request as sent are, not a 5xx a client retries.)</item>
/// </list>
/// </summary>
public sealed class RequestLimitsMiddleware(RequestDelegate next)
{
    public const long MaxBodyBytes = 100 * 1024;
    public const int MaxRequestTargetBytes = 8 * 1024;
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>
    /// How large a refused body may be and still be read to its end after the 413. Past it, the server closes the
    /// connection without reading, and a client still writing sees a reset instead of the answer.
    /// </summary>
    public const long MaxDiscardedBodyBytes = 10 * 1024 * 1024;

    /// <summary>
    /// Kestrel answers requests over its own limits with an empty body before the application sees them, so its
    /// limits sit well above the ones enforced here; only a request beyond those gets the server's bare answer.
    /// </summary>
    public static void ConfigureKestrel(KestrelServerOptions kestrel)
    {
        kestrel.AddServerHeader = false;
        kestrel.ConfigureEndpointDefaults(ServerRefusalEnvelopes.Use);
        kestrel.Limits.MaxRequestBodySize = MaxBodyBytes;
        kestrel.Limits.MaxRequestLineSize = 8 * MaxRequestTargetBytes;
        kestrel.Limits.MaxRequestHeadersTotalSize = 4 * MaxHeaderBytes;
    }

    /// <summary>Whether a <c>Content-Encoding</c> names a coding other than <c>identity</c> (a list, an empty value: none).</summary>
    private static bool IsCompressed(Microsoft.Extensions.Primitives.StringValues codings) =>
        codings.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Any(c => !c.Equals("identity", StringComparison.OrdinalIgnoreCase));

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Method.AsSpan().ContainsAnyInRange('a', 'z'))
        {
            return Refuse(context, StatusCodes.Status400BadRequest,
                $"Request methods are case-sensitive: send {request.Method.ToUpperInvariant()}, not {request.Method}.");
        }

        if (request.Path.Value?.Length + request.QueryString.Value?.Length > MaxRequestTargetBytes)
        {
            return Refuse(context, StatusCodes.Status414UriTooLong, $"The request target is longer than {MaxRequestTargetBytes} bytes.");
        }

        if (RawRequestTarget.HasDotSegment(context))
        {
            return Refuse(context, StatusCodes.Status400BadRequest,
                "The request path must not hold a '.' or '..' segment (nor %2E, %2E%2E): an id or an address of dots is not one.");
        }

        if (HeaderBytes(request.Headers) > MaxHeaderBytes)
        {
            return Refuse(context, StatusCodes.Status431RequestHeaderFieldsTooLarge,
                $"The request headers are larger than {MaxHeaderBytes} bytes in all.");
        }

        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (request.ContentLength is long declared and > MaxBodyBytes)
        {
            if (feature is { IsReadOnly: false } && declared <= MaxDiscardedBodyBytes)
            {
                feature.MaxRequestBodySize = declared; // nothing reads it here; the server's drain does, after the answer
            }

            return Refuse(context, StatusCodes.Status413PayloadTooLarge);
        }

        if (request.Headers.ContentType.Count > 1
            || (request.ContentType is { } listed && listed.Contains(',', StringComparison.Ordinal) && !MediaTypeHeaderValue.TryParse(listed, out _)))
        {
            // A body has one type: "application/json, text/plain" (or two header lines) was read as its first and let through.
            return Refuse(context, StatusCodes.Status415UnsupportedMediaType,
                "Content-Type names one media type: the request body must be JSON (Content-Type: application/json).");
        }

        if (request.Headers.ContentEncoding is { Count: > 0 } coding && IsCompressed(coding)
            && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != false)
        {
            context.Response.Headers.AcceptEncoding = "identity";
            return Refuse(context, StatusCodes.Status415UnsupportedMediaType,
                "The request body must not be compressed: send it without Content-Encoding (or with identity).");
        }

        if (request.ContentType is { } declaredType && NamesCharsetOtherThanUtf8(declaredType))
        {
            return Refuse(context, StatusCodes.Status415UnsupportedMediaType,
                "The request body must be UTF-8 JSON (Content-Type: application/json; charset=utf-8).");
        }

        if (request.ContentType is { } contentType && MediaTypeHeaderValue.TryParse(contentType, out var mediaType) && mediaType.Charset.HasValue)
        {
            if (mediaType.Charset != "utf-8")
            {
                mediaType.Charset = "utf-8";
                request.ContentType = mediaType.ToString();
            }
        }

        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = MaxBodyBytes;
        }

        return next(context);
    }

    /// <summary>
    /// Whether any <c>charset</c> parameter of the header names other than UTF-8 (any spelling of it, quoted or not). Every
    /// parameter is looked at, however the header is punctuated: MVC's reader is lenient (<c>application/json;;charset=x</c>,
    /// a second <c>charset</c>) where the strict parser gives up or takes the first.
    /// </summary>
    private static bool NamesCharsetOtherThanUtf8(string contentType)
    {
        if (!contentType.Contains("charset", StringComparison.OrdinalIgnoreCase))
        {
            return false; // the common case, read without allocating
        }

        foreach (var part in contentType.Split(';'))
        {
            var equals = part.IndexOf('=');
            if (equals > 0 && part.AsSpan(0, equals).Trim().Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                var charset = HeaderUtilities.RemoveQuotes(part.AsSpan(equals + 1).Trim().ToString());
                if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static long HeaderBytes(IHeaderDictionary headers)
    {
        long total = 0;
        foreach (var (name, values) in headers)
        {
            total += name.Length;
            foreach (var value in values)
            {
                total += value?.Length ?? 0;
            }
        }

        return total;
    }

    private static Task Refuse(HttpContext context, int status) => Refuse(context, status, ErrorEnvelope.ForStatus(status).Title);

    private static Task Refuse(HttpContext context, int status, string title) => ErrorEnvelope.WriteAsync(context, status, title);
}
