using Microsoft.AspNetCore.Mvc.Filters;
using Provisioning.Application.Common.Exceptions;

namespace Provisioning.WebApi.Errors;

/// <summary>
/// Every query parameter of the API takes one value: <c>?page[size]=25&amp;page[size]=abc</c> is a 400 naming it, not
/// whichever value the binder happened to take (a client bug that would otherwise go unseen).
/// </summary>
public sealed class SingleValuedQueryFilter : IResourceFilter
{
    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        foreach (var (name, values) in context.HttpContext.Request.Query)
        {
            if (values.Count > 1)
            {
                throw new RequestValidationException(name, $"{name} is given more than once.");
            }
        }
    }

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }
}
