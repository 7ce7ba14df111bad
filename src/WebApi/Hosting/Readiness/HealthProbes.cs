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
    /// Answers <c>/healthz</c> (any method, the path exactly, as the health-check middleware matched it) the way
    /// <c>UseHealthChecks</c> with no checks did — 200, <c>text/plain</c> <c>Healthy</c>, not cacheable — without the
    /// health-check service, its branch and its report: the liveness probe has nothing to check, and load balancers call
    /// it often. Anything else goes on.
    /// </summary>
    public static Task AnswerLiveOrNext(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments(Live, out var remaining) || remaining.HasValue)
        {
            return next(context);
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        var headers = response.Headers;
        headers.CacheControl = "no-store, no-cache";
        headers.Pragma = "no-cache";
        headers.Expires = "Thu, 01 Jan 1970 00:00:00 GMT";
        response.ContentType = "text/plain";
        return response.WriteAsync("Healthy");
    }
}
