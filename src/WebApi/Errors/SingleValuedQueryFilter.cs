using Microsoft.AspNetCore.Mvc.Filters;
using Provisioning.Application.Common.Exceptions;

namespace Provisioning.WebApi.Errors;

/// <summary>
/// Every query parameter of the API takes one value: <c>?page[size]=25&amp;page[size]=abc</c> is a 400 naming it, not
/// whichever value the binder happened to take (a client bug that would otherwise go unseen). A v2 paging or filter
/// parameter (<c>page[…]</c>, <c>filter[…]</c>) given empty (<c>?filter[type]=</c>) is a 400 too: the binder reads an
/// empty value as absent, which turned a filter that matches nothing into no filter at all.
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

            if (string.IsNullOrWhiteSpace(values[0])
                && (name.StartsWith("filter[", StringComparison.Ordinal) || name.StartsWith("page[", StringComparison.Ordinal)))
            {
                throw new RequestValidationException(name, $"{name} is given without a value; leave it out to not filter or page by it.");
            }
        }
    }

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }
}
