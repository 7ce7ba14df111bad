using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.Common.Paging;

namespace Provisioning.WebApi.Contracts;

/// <summary><c>meta</c> of a v2 list. Cursors appear only when there is a page in that direction.</summary>
public sealed record PageMeta(
    bool HasMore,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AfterCursor,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? BeforeCursor);

/// <summary><c>links</c> of a v2 list: absolute URLs of the next and previous pages.</summary>
public sealed record PageLinks(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Next,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Prev);

public static class PageLinksBuilder
{
    /// <summary>
    /// Links that carry the page size and any filters forward; brackets are written raw, as Sunshine does. They start
    /// with the public base URL (<see cref="Hosting.PublicUrls"/>), never with a client's <c>Host</c> header.
    /// </summary>
    public static (PageMeta Meta, PageLinks Links) Build<T>(HttpRequest request, Page<T> page, PageRequest pageRequest, params (string Name, string? Value)[] filters)
    {
        string? Link(string direction, string? cursor)
        {
            if (cursor is null)
            {
                return null;
            }

            var query = new List<string> { $"page[{direction}]={Uri.EscapeDataString(cursor)}" };
            if (pageRequest.Size is { } size)
            {
                query.Add($"page[size]={size}");
            }

            query.AddRange(filters.Where(f => f.Value is not null).Select(f => $"{f.Name}={Uri.EscapeDataString(f.Value!)}"));
            var baseUrl = request.HttpContext.RequestServices.GetRequiredService<Hosting.PublicUrls>().BaseUrl(request.HttpContext);
            return $"{baseUrl}{request.Path}?{string.Join('&', query)}";
        }

        return (new PageMeta(page.HasMore, page.AfterCursor, page.BeforeCursor),
                new PageLinks(Link("after", page.AfterCursor), Link("before", page.BeforeCursor)));
    }
}

/// <summary>Cursor paging query parameters, shared by every v2 list.</summary>
public sealed class PageQuery
{
    [FromQuery(Name = "page[after]")] public string? After { get; init; }
    [FromQuery(Name = "page[before]")] public string? Before { get; init; }
    [FromQuery(Name = "page[size]")] public int? Size { get; init; }

    public PageRequest ToRequest() => new(Size, After, Before);
}
