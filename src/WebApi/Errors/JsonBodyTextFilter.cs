using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Provisioning.Application.Common.Exceptions;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.WebApi.Errors;

/// <summary>
/// Before a JSON body is bound, every string in it is held to <see cref="JsonBodyText"/>, in fields the route ignores too:
/// a probe's <c>{"displayName":"x","zzz":"\ud800"}</c>, raw bytes that are not UTF-8 and NUL in an unknown field or in
/// a setting the route does not know were 201, while the contract says such a string anywhere in the body is 400. The
/// body is read into memory (<see cref="BufferedBody"/>) and read again by the binder.
/// </summary>
public sealed class JsonBodyTextFilter : IAsyncResourceFilter
{
    public Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
    {
        var request = context.HttpContext.Request;
        return BufferedBody.IsSent(request)
               && context.ActionDescriptor.Parameters.Any(p => p.BindingInfo?.BindingSource == BindingSource.Body)
            ? CheckThenBindAsync(context, next)
            : next(); // no body: nothing to read, and no state machine on the way to the GETs
    }

    private static async Task CheckThenBindAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
    {
        var body = await BufferedBody.ReadAsync(context.HttpContext.Request, context.HttpContext.RequestAborted);
        if (JsonBodyText.FirstProblem(body.GetBuffer().AsSpan(0, (int)body.Length)) is { } problem)
        {
            throw new RequestValidationException(problem.Field, problem.Message);
        }

        await next();
    }
}
