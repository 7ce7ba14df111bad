using System.Linq.Expressions;
using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Paging;

/// <summary>An offset page request (v1.1 routes).</summary>
public sealed record OffsetPageRequest(int? Limit = null, int? Offset = null)
{
    public int EffectiveLimit => Limit ?? PageRequest.DefaultSize;
    public int EffectiveOffset => Offset ?? 0;
}
