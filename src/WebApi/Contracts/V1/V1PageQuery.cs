using Provisioning.Application.Common.Paging;

namespace Provisioning.WebApi.Contracts.V1;

/// <summary>limit (1–100, default 25) and offset (≥ 0) query parameters.</summary>
public sealed class V1PageQuery
{
    [Microsoft.AspNetCore.Mvc.FromQuery(Name = "limit"), Hosting.OpenApi.SchemaLimits(Minimum = 1, Maximum = PageRequest.MaxSize)] public int? Limit { get; init; }
    [Microsoft.AspNetCore.Mvc.FromQuery(Name = "offset"), Hosting.OpenApi.SchemaLimits(Minimum = 0)] public int? Offset { get; init; }

    public OffsetPageRequest ToRequest() => new(Limit, Offset);
}
