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

/// <summary>One page in ascending id order, with cursors only where there is a page in that direction.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, bool HasMore, string? AfterCursor, string? BeforeCursor)
{
    public Page<TOut> Map<TOut>(Func<T, TOut> map) => new([.. Items.Select(map)], HasMore, AfterCursor, BeforeCursor);
}

/// <summary>An offset page request (v1.1 routes).</summary>
public sealed record OffsetPageRequest(int? Limit = null, int? Offset = null)
{
    public int EffectiveLimit => Limit ?? PageRequest.DefaultSize;
    public int EffectiveOffset => Offset ?? 0;
}

public sealed record OffsetPage<T>(IReadOnlyList<T> Items, bool HasMore, int Offset);

public static class PagingRules
{
    /// <summary>Validation rules for a cursor page, named as the query parameters are.</summary>
    public static void AddPageRules<T>(this AbstractValidator<T> validator, Func<T, PageRequest> page, Func<string, bool>? isValidCursor = null)
    {
        isValidCursor ??= IdGenerator.IsValid;
        validator.RuleFor(x => page(x).Size).InclusiveBetween(1, PageRequest.MaxSize).When(x => page(x).Size is not null)
            .OverridePropertyName("page[size]").WithMessage($"page[size] must be between 1 and {PageRequest.MaxSize}.");
        validator.RuleFor(x => page(x)).Must(p => p.After is null || p.Before is null)
            .OverridePropertyName("page").WithMessage("Use at most one of page[after] and page[before].");
        validator.RuleFor(x => page(x).After).Must(c => isValidCursor(c!)).When(x => page(x).After is not null)
            .OverridePropertyName("page[after]").WithMessage("page[after] is not a valid cursor.");
        validator.RuleFor(x => page(x).Before).Must(c => isValidCursor(c!)).When(x => page(x).Before is not null)
            .OverridePropertyName("page[before]").WithMessage("page[before] is not a valid cursor.");
    }

    /// <summary>Validation rules for an offset page (v1.1).</summary>
    public static void AddOffsetPageRules<T>(this AbstractValidator<T> validator, Func<T, OffsetPageRequest> page)
    {
        validator.RuleFor(x => page(x).Limit).InclusiveBetween(1, PageRequest.MaxSize).When(x => page(x).Limit is not null)
            .OverridePropertyName("limit").WithMessage($"limit must be between 1 and {PageRequest.MaxSize}.");
        validator.RuleFor(x => page(x).Offset).GreaterThanOrEqualTo(0).When(x => page(x).Offset is not null)
            .OverridePropertyName("offset").WithMessage("offset must be 0 or more.");
    }
}

public static class PagingExtensions
{
    /// <summary>
    /// Keyset pagination on a time-ordered typed id. Reads one extra row to know whether more
    /// follow in the direction of travel, and checks the other direction with one EXISTS query.
    /// </summary>
    public static async Task<Page<TEntity>> ToPageAsync<TEntity, TId>(
        this IQueryable<TEntity> query,
        Expression<Func<TEntity, TId>> id,
        Func<string, TId> parse,
        Func<TId, string> format,
        PageRequest page,
        CancellationToken cancellationToken)
        where TId : struct, IComparable<TId>
    {
        var size = page.EffectiveSize;
        if (page.Before is { } before)
        {
            var rows = await query.Where(Compare(id, parse(before), Expression.LessThan))
                .OrderByDescending(id).Take(size + 1).ToListAsync(cancellationToken);
            var hasMore = rows.Count > size;
            var items = rows.Take(size).Reverse().ToList();
            var getId = id.Compile();
            return new Page<TEntity>(
                items,
                hasMore,
                AfterCursor: items.Count > 0 ? format(getId(items[^1])) : null,
                BeforeCursor: hasMore && items.Count > 0 ? format(getId(items[0])) : null);
        }
        else
        {
            var filtered = page.After is { } after ? query.Where(Compare(id, parse(after), Expression.GreaterThan)) : query;
            var rows = await filtered.OrderBy(id).Take(size + 1).ToListAsync(cancellationToken);
            var hasMore = rows.Count > size;
            var items = rows.Take(size).ToList();
            var getId = id.Compile();
            var hasPrevious = items.Count > 0 && page.After is not null
                && await query.AnyAsync(Compare(id, getId(items[0]), Expression.LessThan), cancellationToken);
            return new Page<TEntity>(
                items,
                hasMore,
                AfterCursor: hasMore ? format(getId(items[^1])) : null,
                BeforeCursor: hasPrevious ? format(getId(items[0])) : null);
        }
    }

    /// <summary>Offset pagination (v1.1): reads one extra row to tell whether more follow.</summary>
    public static async Task<OffsetPage<TEntity>> ToOffsetPageAsync<TEntity, TId>(
        this IQueryable<TEntity> query, Expression<Func<TEntity, TId>> id, OffsetPageRequest page, CancellationToken cancellationToken)
    {
        var rows = await query.OrderBy(id).Skip(page.EffectiveOffset).Take(page.EffectiveLimit + 1).ToListAsync(cancellationToken);
        return new OffsetPage<TEntity>([.. rows.Take(page.EffectiveLimit)], rows.Count > page.EffectiveLimit, page.EffectiveOffset);
    }

    private static Expression<Func<TEntity, bool>> Compare<TEntity, TId>(
        Expression<Func<TEntity, TId>> id, TId value, Func<Expression, Expression, BinaryExpression> op)
    {
        // A captured variable (not a constant) so EF Core sends the cursor as a parameter.
        var holder = new ValueHolder<TId>(value);
        var parameter = Expression.Property(Expression.Constant(holder), nameof(ValueHolder<TId>.Value));
        return Expression.Lambda<Func<TEntity, bool>>(op(id.Body, parameter), id.Parameters);
    }

    private sealed class ValueHolder<T>(T value)
    {
        public T Value { get; } = value;
    }
}
