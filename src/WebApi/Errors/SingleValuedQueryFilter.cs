using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.Filters;
using Provisioning.Application.Common.Exceptions;

namespace Provisioning.WebApi.Errors;

/// <summary>
/// Every query parameter of the API takes one value: <c>?page[size]=25&amp;page[size]=abc</c> is a 400 naming it, not
/// whichever value the binder happened to take (a client bug that would otherwise go unseen). A filter of the events API
/// (ours, API.md §11) given empty (<c>?filter[type]=</c>) is a 400 too: the binder reads an empty value as absent, which
/// turned a filter that matches nothing into no filter at all. (Sunshine's own parameters stay lenient: its official
/// client sends a bare <c>page[after]</c> or <c>filter[serviceAccountId]</c> for an option set to null, meaning absent.)
/// A number
/// (<c>page[size]</c>, <c>limit</c>, <c>offset</c>) is decimal digits: the binder's converter also took <c>0x10</c> and
/// <c>#10</c> as hexadecimal. And a <c>filter[…]</c> the route does not have (<c>/v2/events?filter[since]=…</c>) is a 400
/// naming it: ignored, it answered everything to a caller who believed it had filtered. So is a <c>page[…]</c> on a
/// route that does not page (the users of a tenant, an app's keys): ignored, a caller asking for five believed it had a
/// page of them.
/// </summary>
public sealed class SingleValuedQueryFilter : IResourceFilter
{
    private static readonly HashSet<string> Numbers = new(StringComparer.OrdinalIgnoreCase) { "page[size]", "limit", "offset" };

    private static readonly HashSet<string> NeverEmpty = new(StringComparer.OrdinalIgnoreCase) { "filter[type]", "filter[tenantId]", "filter[resourceId]" };

    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        foreach (var (name, values) in context.HttpContext.Request.Query)
        {
            if (values.Count > 1)
            {
                throw new RequestValidationException(name, $"{name} is given more than once.");
            }

            if (name.StartsWith("filter[", StringComparison.OrdinalIgnoreCase) && !FiltersOf(context.ActionDescriptor).Contains(name))
            {
                var known = FiltersOf(context.ActionDescriptor);
                throw new RequestValidationException(name, known.Count == 0
                    ? $"{name} is not a filter of this route (it has none)."
                    : $"{name} is not a filter of this route (it has {string.Join(", ", known.Order(StringComparer.Ordinal))}).");
            }

            if (name.StartsWith("page[", StringComparison.OrdinalIgnoreCase) && !IsPaged(context.ActionDescriptor))
            {
                throw new RequestValidationException(name, $"{name}: this list is not paged; it answers all of its items at once.");
            }

            if (string.IsNullOrWhiteSpace(values[0]) && NeverEmpty.Contains(name))
            {
                throw new RequestValidationException(name, $"{name} is given without a value; leave it out to not filter by it.");
            }

            if (Numbers.Contains(name) && values[0] is { Length: > 0 } number && !IsDecimal(number.Trim()))
            {
                throw new RequestValidationException(name, $"{name} must be a whole number.");
            }
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<ActionDescriptor, HashSet<string>> Filters = new();

    /// <summary>The <c>filter[…]</c> query parameters an action binds (<c>[FromQuery(Name = "filter[type]")]</c>).</summary>
    private static HashSet<string> FiltersOf(ActionDescriptor action) => Filters.GetOrAdd(action, a => new HashSet<string>(
        a.Parameters.Select(p => p.BindingInfo?.BinderModelName)
            .OfType<string>()
            .Where(n => n.StartsWith("filter[", StringComparison.OrdinalIgnoreCase)),
        StringComparer.OrdinalIgnoreCase));

    private static bool IsPaged(ActionDescriptor action) => action.Parameters.Any(p => p.ParameterType == typeof(Contracts.PageQuery));

    private static bool IsDecimal(string value)
    {
        var digits = value.StartsWith('-') || value.StartsWith('+') ? value[1..] : value;
        return digits.Length > 0 && digits.All(char.IsAsciiDigit);
    }

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }
}
