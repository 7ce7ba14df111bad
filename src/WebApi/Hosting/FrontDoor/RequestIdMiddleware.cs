namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// Runs first. Gives every request an id and every response the headers all answers carry:
/// <list type="bullet">
/// <item><c>X-Request-Id</c>: the client's own value when it is 1–128 printable ASCII characters, otherwise a new
/// one; it is the request's <see cref="HttpContext.TraceIdentifier"/>, so logs and 5xx bodies name the same id;</item>
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
        if (sent.Count == 1 && HeaderText.IsPrintableAscii(sent[0], MaxLength))
        {
            context.TraceIdentifier = sent[0]!;
        }

        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            var headers = http.Response.Headers;
            headers[Header] = http.TraceIdentifier;
            headers.XContentTypeOptions = "nosniff";
            if (IsApi(http.Request.Path))
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

    private static bool IsApi(PathString path) => path.StartsWithSegments("/v2") || path.StartsWithSegments("/v1.1");
}
