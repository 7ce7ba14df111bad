using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Provisioning.Application.Common.Exceptions;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Hosting;

namespace Provisioning.WebApi.Errors;

/// <summary>
/// Before a JSON body is bound, every string in it is held to <see cref="JsonBodyText"/>, in fields the route ignores too:
/// a probe's <c>{"displayName":"x","zzz":"\ud800"}</c>, raw bytes that are not UTF-8 and NUL in an unknown field or in
/// a setting the route does not know were 201, while the contract says such a string anywhere in the body is 400. The
/// body (at most <see cref="RequestLimitsMiddleware.MaxBodyBytes"/>) is buffered in memory and read again by the binder.
/// </summary>
public sealed class JsonBodyTextFilter : IAsyncResourceFilter
{
    public async Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
    {
        var request = context.HttpContext.Request;
        if ((request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
            && context.ActionDescriptor.Parameters.Any(p => p.BindingInfo?.BindingSource == BindingSource.Body))
        {
            // In memory, never spooled to a temporary file: a body may carry a secret (a provisioning key).
            request.EnableBuffering(bufferThreshold: (int)RequestLimitsMiddleware.MaxBodyBytes + 1);
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, context.HttpContext.RequestAborted);
            request.Body.Position = 0;
            if (JsonBodyText.FirstProblem(body.GetBuffer().AsSpan(0, (int)body.Length)) is { } problem)
            {
                throw new RequestValidationException(problem.Field, problem.Message);
            }
        }

        await next();
    }
}
