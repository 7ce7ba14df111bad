using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A statement that must run before anything else a transaction sends, put in front of the transaction's next command
/// so that it costs no round trip of its own (the claim of an <c>Idempotency-Key</c>). It returns no rows (a
/// <c>CALL</c>), so the command's reader starts at the command's own results; if it fails, PostgreSQL skips the rest of
/// the round trip and the transaction fails with it. Set on the request's <see cref="ProvisioningDbContext"/>; taken
/// by the first of: an EF command (<see cref="LeadingStatementInterceptor"/>), a command the service builds on the
/// context's connection (<see cref="ProvisioningDbContext.SendLeadingWith"/>), or the unit of work's <c>COMMIT</c>.
/// </summary>
internal sealed class LeadingStatement(string sql, params (string Name, object Value)[] parameters)
{
    /// <summary>
    /// Puts the statement in front of <paramref name="command"/>; false (and nothing changed) when the command uses
    /// positional parameters, which Npgsql does not allow in a command of several statements.
    /// </summary>
    public bool TryPrependTo(DbCommand command)
    {
        foreach (DbParameter parameter in command.Parameters)
        {
            if (string.IsNullOrEmpty(parameter.ParameterName))
            {
                return false;
            }
        }

        command.CommandText = sql + ";\n" + command.CommandText;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value));
        }

        return true;
    }

    public NpgsqlBatchCommand ToBatchCommand()
    {
        var statement = new NpgsqlBatchCommand(sql);
        foreach (var (name, value) in parameters)
        {
            statement.Parameters.Add(new NpgsqlParameter(name, value));
        }

        return statement;
    }
}

/// <summary>Sends the context's <see cref="LeadingStatement"/>, if any, in front of the next EF command of its transaction.</summary>
internal sealed class LeadingStatementInterceptor : DbCommandInterceptor
{
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Lead(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Lead(command, eventData);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Lead(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Lead(command, eventData);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Lead(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Lead(command, eventData);
        return ValueTask.FromResult(result);
    }

    private static void Lead(DbCommand command, CommandEventData eventData)
    {
        if (eventData.Context is ProvisioningDbContext context)
        {
            context.SendLeadingWith(command);
        }
    }
}
