namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// HEAD is GET without the body (RFC 9110 §9.3.2; monitoring and link checkers send it): before routing, a HEAD request
/// becomes the GET it asks about, so every GET route answers it with the GET's status and headers, authenticated, limited
/// and authorised alike, and a route without GET answers 405. Kestrel parsed a HEAD and so sends no body (it discards what
/// the GET writes). The OpenAPI document lists GET only, as is usual.
/// </summary>
public static class HeadRequests
{
    public static Task AnswerAsGet(HttpContext context, RequestDelegate next)
    {
        if (HttpMethods.IsHead(context.Request.Method))
        {
            context.Request.Method = HttpMethods.Get;
        }

        return next(context);
    }

    /// <summary>On a 405, names HEAD in <c>Allow</c> wherever routing named GET (routing knows HEAD only as the GET it became).</summary>
    public static void NameHeadWhereGetIsAllowed(HttpResponse response)
    {
        if (response.StatusCode == StatusCodes.Status405MethodNotAllowed && response.Headers.Allow.ToString() is { Length: > 0 } allow
            && allow.Split(',', StringSplitOptions.TrimEntries) is var methods
            && methods.Contains(HttpMethods.Get) && !methods.Contains(HttpMethods.Head))
        {
            response.Headers.Allow = string.Join(", ", methods.Append(HttpMethods.Head).Order(StringComparer.Ordinal));
        }
    }
}
