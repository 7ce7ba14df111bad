namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// Runs first. Gives every request an id and every response the headers all answers carry:
/// <list type="bullet">
/// <item><c>X-Request-Id</c>: the client's own value when it is 1–128 printable ASCII characters, otherwise a new
/// random one (<see cref="NewId"/>); it is the request's <see cref="HttpContext.TraceIdentifier"/>, so logs and 5xx
/// bodies name the same id;</item>
/// <item><c>X-Content-Type-Options: nosniff</c> on every answer;</item>
/// <item><c>Cache-Control: no-store</c> on every API answer (<c>/v2</c>, <c>/v1.1</c>): many of them carry
/// secrets or tokens, and none is meant to be kept by a cache or proxy.</item>
/// </list>
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next, ILogger<RequestIdMiddleware> logger)
{
    public const string Header = "X-Request-Id";
    /// <summary>As long as an audit event keeps it.</summary>
    public const int MaxLength = Domain.Audit.AuditEvent.MaxRequestIdLength;

    public async Task InvokeAsync(HttpContext context)
    {
        var sent = context.Request.Headers[Header];
        context.TraceIdentifier = sent.Count == 1 && HeaderText.IsPrintableAscii(sent[0], MaxLength) ? sent[0]! : NewId();

        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            var headers = http.Response.Headers;
            headers[Header] = http.TraceIdentifier;
            headers.XContentTypeOptions = "nosniff";
            if (ApiPaths.Contain(http.Request.Path))
            {
                headers.CacheControl = "no-store";
            }

            return Task.CompletedTask;
        }, context);
        // Every line the request logs from here on names its id (the client's when acceptable), as its answer does.
        var scope = new RequestLogScope(context.TraceIdentifier, context.Request.Path.Value);
        context.Features.Set(scope);
        using (logger.BeginScope(scope))
        {
            await next(context);
        }
    }

    /// <summary>
    /// 128 random bits in hex. Not Kestrel's own identifier, which is its connection id — a counter shared by every client
    /// of the process, started from the process's start time — and the request's number on the connection: on every answer
    /// (a 401, <c>/healthz</c> too) and in every audit event, one tenant read from two of its own requests how many
    /// connections all the others had opened between them (a hostile probe).
    /// <para>Drawn from a buffer per thread, filled 4 KB at a time: the system's random source is a call into the kernel, about
    /// 2 µs for 16 bytes here, a fifth more CPU per <c>/healthz</c> when asked for each id (A/B), and 0.01 µs per id this way.</para>
    /// </summary>
    private static string NewId()
    {
        var random = _random;
        if (random is null || _used == random.Length)
        {
            random = _random ??= new byte[256 * IdBytes];
            System.Security.Cryptography.RandomNumberGenerator.Fill(random);
            _used = 0;
        }

        var id = Convert.ToHexStringLower(random, _used, IdBytes);
        _used += IdBytes;
        return id;
    }

    private const int IdBytes = 16;

    [ThreadStatic]
    private static byte[]? _random;

    [ThreadStatic]
    private static int _used;
}
