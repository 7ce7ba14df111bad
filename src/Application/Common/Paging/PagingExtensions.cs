using System.Linq.Expressions;
using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Paging;

public static class PagingExtensions
{
    /// <summary>
    /// Keyset pagination on a time-ordered typed id. Reads one extra row to know whether more
    /// follow in the direction of travel, and checks the other direction by reading the one row next to the page there (a
    /// cursor says where to go only when there is a page there, API.md §4).
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
            var getId = IdReader<TEntity, TId>.For(id);
            // Usually the cursor's own record follows, but not when it was deleted or never was (a cursor past the end).
            var hasNext = items.Count > 0 && await query.Where(Compare(id, getId(items[^1]), Expression.GreaterThan)).AnyInOrderAsync(id, descending: false, cancellationToken);
            return new Page<TEntity>(
                items,
                hasMore,
                AfterCursor: hasNext ? format(getId(items[^1])) : null,
                BeforeCursor: hasMore && items.Count > 0 ? format(getId(items[0])) : null);
        }
        else
        {
            var filtered = page.After is { } after ? query.Where(Compare(id, parse(after), Expression.GreaterThan)) : query;
            var rows = await filtered.OrderBy(id).Take(size + 1).ToListAsync(cancellationToken);
            var hasMore = rows.Count > size;
            var items = rows.Take(size).ToList();
            var getId = IdReader<TEntity, TId>.For(id);
            var hasPrevious = items.Count > 0 && page.After is not null
                && await query.Where(Compare(id, getId(items[0]), Expression.LessThan)).AnyInOrderAsync(id, descending: true, cancellationToken);
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

    /// <summary>
    /// Whether <paramref name="query"/> has a row, asked as "its first id in this order" (at most one row read), not as
    /// <c>EXISTS</c>: for that PostgreSQL drops any order, and a plan made for the parameters' values (every plan behind a
    /// transaction pooler; the first five elsewhere) took a sequential scan that stops at the first match — found at
    /// once were matches spread evenly, but rows are stored oldest first, so "is there one newer than X" read every row
    /// older than X (20 ms at 100,000 apps, linear). In id order the index starts at the page's edge. For the neighbour
    /// checks of keyset pages: <paramref name="descending"/> when looking before the page. (The events' reader keeps
    /// <c>EXISTS</c>: its join of the viewer's rows took their index under both kinds of plan; PlanShapeTests.)
    /// </summary>
    private static async Task<bool> AnyInOrderAsync<TEntity, TId>(
        this IQueryable<TEntity> query, Expression<Func<TEntity, TId>> id, bool descending, CancellationToken cancellationToken)
    {
        var ordered = descending ? query.OrderByDescending(id) : query.OrderBy(id);
        return (await ordered.Select(id).Take(1).ToListAsync(cancellationToken)).Count > 0;
    }

    private static Expression<Func<TEntity, bool>> Compare<TEntity, TId>(
        Expression<Func<TEntity, TId>> id, TId value, Func<Expression, Expression, BinaryExpression> op)
    {
        // A captured variable (not a constant) so EF Core sends the cursor as a parameter.
        var holder = new ValueHolder<TId>(value);
        var parameter = Expression.Property(Expression.Constant(holder), nameof(ValueHolder<TId>.Value));
        return Expression.Lambda<Func<TEntity, bool>>(op(id.Body, parameter), id.Parameters);
    }

    /// <summary>
    /// The id getter of a page's rows, compiled once per entity property and then reused: compiling the expression on
    /// every request made a dynamic method (and its machine code) per page read.
    /// </summary>
    private static class IdReader<TEntity, TId>
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<System.Reflection.MemberInfo, Func<TEntity, TId>> Compiled = new();

        public static Func<TEntity, TId> For(Expression<Func<TEntity, TId>> id) =>
            id.Body is MemberExpression { Expression: ParameterExpression } member
                ? Compiled.GetOrAdd(member.Member, static (_, expression) => expression.Compile(), id)
                : id.Compile();
    }

    private sealed class ValueHolder<T>(T value)
    {
        public T Value { get; } = value;
    }
}
