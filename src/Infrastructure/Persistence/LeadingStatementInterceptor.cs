using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>Sends the context's leading statements, if any, with the next EF command of its transaction.</summary>
internal sealed class LeadingStatementInterceptor : DbCommandInterceptor
{
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Lead(command, eventData);
        return result;
    }

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await Lead(command, eventData, cancellationToken);
        return result;
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Lead(command, eventData);
        return result;
    }

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await Lead(command, eventData, cancellationToken);
        return result;
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Lead(command, eventData);
        return result;
    }

    public override async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        await Lead(command, eventData, cancellationToken);
        return result;
    }

    /// <summary>A save's results are read by statement position (rows affected per statement), a query's by result set.</summary>
    private static ValueTask Lead(DbCommand command, CommandEventData eventData, CancellationToken cancellationToken) =>
        eventData.Context is ProvisioningDbContext context
            ? context.SendLeadingWithAsync(command, readByPosition: eventData.CommandSource == CommandSource.SaveChanges, cancellationToken)
            : ValueTask.CompletedTask;

    private static void Lead(DbCommand command, CommandEventData eventData)
    {
        if (eventData.Context is ProvisioningDbContext context)
        {
            context.SendLeadingWith(command, readByPosition: eventData.CommandSource == CommandSource.SaveChanges);
        }
    }
}
