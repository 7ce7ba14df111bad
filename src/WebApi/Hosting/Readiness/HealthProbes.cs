namespace Provisioning.WebApi.Hosting.Readiness;

/// <summary>
/// <c>/healthz</c> (the process runs) and <c>/readyz</c> (it can serve). They answer in the pipeline before authentication
/// and the rate limiter (Program.cs): no credentials, no limit, no database for <c>/healthz</c>.
/// </summary>
public static class HealthProbes
{
    public const string Live = "/healthz";
    public const string Ready = "/readyz";

    /// <summary>
    /// Answers <c>/healthz</c> (GET or HEAD, the path exactly, as the health-check middleware matched it) the way
    /// <c>UseHealthChecks</c> with no checks did — 200, <c>text/plain</c> <c>Healthy</c>, not cacheable — without the
    /// health-check service, its branch and its report: the liveness probe has nothing to check, and load balancers call
    /// it often. Another method on either probe is 405 with <c>Allow: GET, HEAD</c>, as on every route (a POST was answered
    /// 200 "Healthy"); <c>/readyz</c> by GET or HEAD, and anything else, goes on.
    /// </summary>
    public static Task AnswerLiveOrNext(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var live = Is(request.Path, Live);
        if (!live && !Is(request.Path, Ready))
        {
            return next(context);
        }

        // Out of http.server.request.duration as out of the traces: a load balancer's polls were most of its requests, and
        // their 503s in an outage part of the 5xx rate (a probe of the OTLP export).
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMetricsTagsFeature>() is { } metrics)
        {
            metrics.MetricsDisabled = true;
        }

        var response = context.Response;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed; // the envelope: the status-code pages, as for a route
            response.Headers.Allow = "GET, HEAD";
            return Task.CompletedTask;
        }

        if (!live)
        {
            return next(context);
        }

        response.StatusCode = StatusCodes.Status200OK;
        var headers = response.Headers;
        headers.CacheControl = "no-store, no-cache";
        headers.Pragma = "no-cache";
        headers.Expires = "Thu, 01 Jan 1970 00:00:00 GMT";
        response.ContentType = "text/plain";
        return response.WriteAsync("Healthy");
    }

    private static bool Is(PathString path, string probe) => path.StartsWithSegments(probe, out var remaining) && !remaining.HasValue;

    /// <summary>Whether <paramref name="path"/> is one of the probes, exactly (what this middleware answers or passes on to the readiness check).</summary>
    public static bool IsProbe(PathString path) => Is(path, Live) || Is(path, Ready);
}
