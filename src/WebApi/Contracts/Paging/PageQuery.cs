using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.Common.Paging;

namespace Provisioning.WebApi.Contracts;

/// <summary>Cursor paging query parameters, shared by every v2 list.</summary>
public sealed class PageQuery
{
    [FromQuery(Name = "page[after]")] public string? After { get; init; }
    [FromQuery(Name = "page[before]")] public string? Before { get; init; }
    [FromQuery(Name = "page[size]"), Hosting.OpenApi.SchemaLimits(Minimum = 1, Maximum = PageRequest.MaxSize)] public int? Size { get; init; }

    public PageRequest ToRequest() => new(Size, After, Before);
}
