using System.Linq.Expressions;
using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Paging;

/// <summary>A cursor page request: at most one of <see cref="After"/> / <see cref="Before"/>, both record ids.</summary>
public sealed record PageRequest(int? Size = null, string? After = null, string? Before = null)
{
    public const int DefaultSize = 25;
    public const int MaxSize = 100;

    public int EffectiveSize => Size ?? DefaultSize;
}
