using Provisioning.Application.Common.Paging;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.WebApi.Contracts;

public static class PageLinksBuilder
{
    /// <summary>
    /// Links that carry the page size and any filters forward; brackets are written raw, as Sunshine does. They start
    /// with the public base URL (<see cref="PublicUrls"/>), never with a client's <c>Host</c> header.
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
            var baseUrl = request.HttpContext.RequestServices.GetRequiredService<PublicUrls>().BaseUrl(request.HttpContext);
            return $"{baseUrl}{request.Path}?{string.Join('&', query)}";
        }

        return (new PageMeta(page.HasMore, page.AfterCursor, page.BeforeCursor),
                new PageLinks(Link("after", page.AfterCursor), Link("before", page.BeforeCursor)));
    }
}
