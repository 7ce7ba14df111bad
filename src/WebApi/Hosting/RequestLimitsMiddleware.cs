using Microsoft.AspNetCore.Http.Features;
using Provisioning.WebApi.Errors;

namespace Provisioning.WebApi.Hosting;

/// <summary>
/// Bodies over 100 KB are refused with 413 before they are read: by Content-Length at once, and
/// for chunked bodies by the server's own limit while reading (surfacing as a 413 from the
/// exception handler).
/// </summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next)
{
    public const long MaxBodyBytes = 100 * 1024;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            var (code, title) = ErrorEnvelope.ForStatus(StatusCodes.Status413PayloadTooLarge);
            return ErrorEnvelope.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, code, title);
        }

        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = MaxBodyBytes;
        }

        return next(context);
    }
}
