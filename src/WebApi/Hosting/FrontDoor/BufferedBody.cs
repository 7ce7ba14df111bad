namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// A request body read whole into memory (at most <see cref="RequestLimitsMiddleware.MaxBodyBytes"/>, which the server
/// enforces while it is read), so that it can be read again: by the Idempotency-Key's fingerprint, the body text check,
/// the binder, and a command run again after a deadlock. In memory, never spooled to a temporary file: a body may carry
/// a secret (a provisioning key). Sized to the body: ASP.NET Core's <c>EnableBuffering</c> rents a buffer of its whole
/// threshold (128 KB here) for every request, which cost a create about a tenth of its throughput.
/// </summary>
public static class BufferedBody
{
    /// <summary>Whether the request says it has a body (a length over 0, or chunks).</summary>
    public static bool IsSent(HttpRequest request) => request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0;

    /// <summary>The request's body as a seekable stream positioned at its start (read in now, once per request).</summary>
    public static async Task<MemoryStream> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.Body is MemoryStream buffered)
        {
            buffered.Position = 0;
            return buffered;
        }

        var body = new MemoryStream(request.ContentLength is long length and <= RequestLimitsMiddleware.MaxBodyBytes ? (int)length : 0);
        await request.Body.CopyToAsync(body, cancellationToken);
        body.Position = 0;
        request.Body = body;
        return body;
    }
}
