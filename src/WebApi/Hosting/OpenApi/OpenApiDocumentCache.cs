using System.Collections.Concurrent;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.WebApi.Hosting.OpenApi;

/// <summary>
/// The OpenAPI document, built once per base URL it names. Built on every request it cost about 83 ms of CPU for its
/// 614 KB, without credentials: twenty-five requests a second from one client slowed every other request tenfold (a probe).
/// It changes only with the build and with the base URL in its <c>servers</c> (<see cref="PublicUrls.BaseUrl"/>), so each is
/// kept, for at most 16 base URLs (past that, a request is built as before). Runs after the rate limiter: a cached answer
/// is still a request of its caller's share.
/// </summary>
public sealed class OpenApiDocumentCache(PublicUrls urls)
{
    public const string Path = "/openapi/v1.json";
    private const int MaxBaseUrls = 16;

    private readonly ConcurrentDictionary<string, Document> _documents = new(StringComparer.Ordinal);
    private int _builds;

    /// <summary>How many times the document was built (for tests).</summary>
    public int Builds => Volatile.Read(ref _builds);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!HttpMethods.IsGet(context.Request.Method) || !context.Request.Path.Equals(Path, StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        var baseUrl = urls.BaseUrl(context);
        if (_documents.TryGetValue(baseUrl, out var cached))
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = cached.ContentType;
            context.Response.ContentLength = cached.Body.Length;
            await context.Response.Body.WriteAsync(cached.Body, context.RequestAborted);
            return;
        }

        var original = context.Response.Body;
        await using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }

        Interlocked.Increment(ref _builds);
        if (context.Response.StatusCode == StatusCodes.Status200OK && _documents.Count < MaxBaseUrls)
        {
            _documents.TryAdd(baseUrl, new Document(context.Response.ContentType ?? "application/json", buffer.ToArray()));
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(original, context.RequestAborted);
    }

    private sealed record Document(string ContentType, byte[] Body);
}
