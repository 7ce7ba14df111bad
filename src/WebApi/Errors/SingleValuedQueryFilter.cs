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
/// route that does not page by cursor (the users of a tenant, an app's keys: a caller asking for five believed it had a
/// page of them; a v1.1 list, paged by <c>limit</c>/<c>offset</c>), or one a paged list does not have (<c>page[number]</c>:
/// a caller paging by number read the first page forever).
/// </summary>
public sealed class SingleValuedQueryFilter : IResourceFilter
{
    private static readonly HashSet<string> Numbers = new(StringComparer.OrdinalIgnoreCase) { "page[size]", "limit", "offset" };

    private static readonly HashSet<string> NeverEmpty = new(StringComparer.OrdinalIgnoreCase) { "filter[type]", "filter[tenantId]", "filter[resourceId]" };

    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        if (NotUtf8(context.HttpContext.Request.QueryString, context.ActionDescriptor) is { } garbled)
        {
            throw new RequestValidationException(garbled, $"{garbled} must be UTF-8 text once percent-decoded (%FF is not).");
        }

        foreach (var (name, values) in context.HttpContext.Request.Query)
        {
            if (values.Count > 1)
            {
                throw new RequestValidationException(name, $"{name} is given more than once.");
            }

            if (IsOfFamily(name, "filter") && !FiltersOf(context.ActionDescriptor).Contains(name))
            {
                throw new RequestValidationException(name, FilterProblem(name, context.ActionDescriptor));
            }

            if (IsOfFamily(name, "page") && !(PageParameters.Contains(name) && IsCursorPaged(context.ActionDescriptor)))
            {
                throw new RequestValidationException(name, PageProblem(name, context.ActionDescriptor, context.HttpContext.Request.Method));
            }

            // On reads: a caller asking for a page believes it has one. A stray one on a write was ignored before and still is.
            if (OffsetParameters.Contains(name) && HttpMethods.IsGet(context.HttpContext.Request.Method) && !IsOffsetPaged(context.ActionDescriptor))
            {
                throw new RequestValidationException(name, IsCursorPaged(context.ActionDescriptor)
                    ? $"{name}: this list pages with page[size] and page[after] or page[before]."
                    : $"{name}: this route is not paged; it answers all of its items at once.");
            }

            if (string.IsNullOrWhiteSpace(values[0]) && NeverEmpty.Contains(name))
            {
                throw new RequestValidationException(name, $"{name} is given without a value; leave it out to not filter by it.");
            }

            if (Numbers.Contains(name) && values[0] is { Length: > 0 } number && !IsDecimal(number.Trim()))
            {
                throw new RequestValidationException(name, $"{name} must be a whole number.");
            }

            // Past what model binding reads it said "the value '…' is not valid", unlike every other paging message.
            if (Numbers.Contains(name) && values[0] is { Length: > 0 } large
                && !int.TryParse(large.Trim(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                throw new RequestValidationException(name, $"{name} is too large.");
            }
        }
    }

    /// <summary>
    /// The parameter whose percent-escapes are not UTF-8 (<c>filter[resourceId]=%FF%FE</c>), if one is: the query's parser reads
    /// them as U+FFFD, and the list answered for that (an empty page) where a body with such bytes is a 400 (a probe). Only a
    /// parameter the service reads or refuses (<see cref="IsLookedAt"/>): any other is ignored, whatever it holds (a
    /// tracker's <c>utm_term=caf%E9</c>).
    /// </summary>
    private static string? NotUtf8(QueryString query, ActionDescriptor action)
    {
        if (query.Value is not { } raw || !raw.Contains('%', StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var pair in raw.TrimStart('?').Split('&'))
        {
            if (pair.Contains('%', StringComparison.Ordinal) && !System.Text.Unicode.Utf8.IsValid(System.Web.HttpUtility.UrlDecodeToBytes(pair))
                && System.Web.HttpUtility.UrlDecode(pair.Split('=')[0]) is var name && IsLookedAt(name, action))
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>A query parameter the action binds, or one this filter refuses where it does not: <c>page[…]</c>, <c>filter[…]</c>, <c>limit</c>, <c>offset</c>.</summary>
    private static bool IsLookedAt(string name, ActionDescriptor action) =>
        IsOfFamily(name, "filter") || IsOfFamily(name, "page") || OffsetParameters.Contains(name)
        || action.Parameters.Any(p => p.BindingInfo?.BindingSource == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.Query
                                      && string.Equals(p.BindingInfo.BinderModelName ?? p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// <c>page[…]</c> or <c>filter[…]</c>, and the bare word too: <c>?page=2</c> was ignored, and a caller asking for the second
    /// page read the first (a probe).
    /// </summary>
    private static bool IsOfFamily(string name, string family) =>
        name.StartsWith(family, StringComparison.OrdinalIgnoreCase) && (name.Length == family.Length || name[family.Length] == '[');

    private static string FilterProblem(string name, ActionDescriptor action)
    {
        var known = FiltersOf(action);
        if (known.Count > 0)
        {
            return $"{name} is not a filter of this route (it has {string.Join(", ", known.Order(StringComparer.Ordinal))}).";
        }

        // A v1.1 list filters by a plain parameter (?serviceAccountId=…): say so rather than "it has none".
        var inner = name.Length > "filter[".Length ? name["filter[".Length..].TrimEnd(']') : ""; // a bare "filter" has none
        return inner.Length > 0
               && action.Parameters.Any(p => p.BindingInfo?.BindingSource == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.Query
                                             && string.Equals(p.BindingInfo.BinderModelName ?? p.Name, inner, StringComparison.OrdinalIgnoreCase))
            ? $"{name} is not a filter of this route: it takes {inner}=… instead."
            : $"{name} is not a filter of this route (it has none).";
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<ActionDescriptor, HashSet<string>> Filters = new();

    /// <summary>The <c>filter[…]</c> query parameters an action binds (<c>[FromQuery(Name = "filter[type]")]</c>).</summary>
    private static HashSet<string> FiltersOf(ActionDescriptor action) => Filters.GetOrAdd(action, a => new HashSet<string>(
        a.Parameters.Select(p => p.BindingInfo?.BinderModelName)
            .OfType<string>()
            .Where(n => n.StartsWith("filter[", StringComparison.OrdinalIgnoreCase)),
        StringComparer.OrdinalIgnoreCase));

    /// <summary>The <c>page[…]</c> parameters of a cursor-paged v2 list (<see cref="Contracts.PageQuery"/>).</summary>
    private static readonly HashSet<string> PageParameters = new(
        typeof(Contracts.PageQuery).GetProperties()
            .Select(p => p.GetCustomAttributes(typeof(Microsoft.AspNetCore.Mvc.FromQueryAttribute), false).OfType<Microsoft.AspNetCore.Mvc.FromQueryAttribute>().Single().Name!),
        StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Why a <c>page[…]</c> parameter is refused here: a member a cursor-paged list does not have (<c>page[number]</c>: a
    /// caller paging by number would read the first page forever), or a route that does not page by cursor at all.
    /// </summary>
    private static string PageProblem(string name, ActionDescriptor action, string method) =>
        IsCursorPaged(action) ? $"{name} is not a paging parameter of this route (it has {string.Join(", ", PageParameters.Order(StringComparer.Ordinal))})."
        : IsOffsetPaged(action) ? $"{name}: this list pages with limit and offset."
        // On a write the list's wording was wrong: the same path's GET may well be paged (a probe).
        : HttpMethods.IsGet(method) || HttpMethods.IsHead(method) ? $"{name}: this route is not paged; it answers all of its items at once."
        : $"{name}: a write is not paged; leave it out.";

    private static bool IsCursorPaged(ActionDescriptor action) => action.Parameters.Any(p => p.ParameterType == typeof(Contracts.PageQuery));

    private static readonly HashSet<string> OffsetParameters = new(StringComparer.OrdinalIgnoreCase) { "limit", "offset" };

    private static bool IsOffsetPaged(ActionDescriptor action) => action.Parameters.Any(p => p.ParameterType == typeof(Contracts.V1.V1PageQuery));

    private static bool IsDecimal(string value)
    {
        var digits = value.StartsWith('-') || value.StartsWith('+') ? value[1..] : value;
        return digits.Length > 0 && digits.All(char.IsAsciiDigit);
    }

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }
}
