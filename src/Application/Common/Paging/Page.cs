using System.Linq.Expressions;
using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Paging;

/// <summary>One page in ascending id order, with cursors only where there is a page in that direction.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, bool HasMore, string? AfterCursor, string? BeforeCursor)
{
    public Page<TOut> Map<TOut>(Func<T, TOut> map) => new([.. Items.Select(map)], HasMore, AfterCursor, BeforeCursor);
}
