using System.Data.Common;
using Npgsql;
using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A statement that must run before anything else of its transaction, sent with the transaction's next command so that
/// it costs no round trip of its own where it can: the claim of an <c>Idempotency-Key</c> (a request holding the key must
/// not be waited for, nor anything done for a request that will be refused), the reservation of a budget (see
/// <see cref="TenantBudgets"/>: after the INSERTs it trips a PostgreSQL error under concurrency). Each returns no rows
/// (a <c>CALL</c>) and refuses by raising, which fails the transaction: nothing sent after it runs, nothing commits.
/// <see cref="Refusals"/> says what a refusal becomes. Queued on the request's <see cref="ProvisioningDbContext"/>
/// (<see cref="ProvisioningDbContext.Lead"/>), in order, and taken by the first of: an EF command
/// (<see cref="LeadingStatementInterceptor"/>), a command the service builds on the context's connection, or the unit of
/// work's <c>COMMIT</c>; <see cref="ProvisioningDbContext.SendLeadingWithAsync"/> says how.
/// </summary>
internal sealed class LeadingStatement(string sql, params (string Name, object Value)[] parameters)
{
    private string Sql { get; } = sql;

    private (string Name, object Value)[] Parameters { get; } = parameters;

    /// <summary>
    /// Puts <paramref name="statements"/>, in order, in front of <paramref name="command"/>'s own statements; false (and
    /// nothing changed) when the command uses positional parameters, which Npgsql does not allow in a command of
    /// several statements.
    /// </summary>
    public static bool TryPrependTo(DbCommand command, IReadOnlyList<LeadingStatement> statements)
    {
        foreach (DbParameter parameter in command.Parameters)
        {
            if (string.IsNullOrEmpty(parameter.ParameterName))
            {
                return false;
            }
        }

        var text = new System.Text.StringBuilder();
        foreach (var statement in statements)
        {
            text.Append(statement.Sql).Append(";\n");
            foreach (var (name, value) in statement.Parameters)
            {
                command.Parameters.Add(new NpgsqlParameter(name, value));
            }
        }

        command.CommandText = text.Append(command.CommandText).ToString();
        return true;
    }

    public NpgsqlBatchCommand ToBatchCommand()
    {
        var statement = new NpgsqlBatchCommand(Sql);
        foreach (var (name, value) in Parameters)
        {
            statement.Parameters.Add(new NpgsqlParameter(name, value));
        }

        return statement;
    }

    /// <summary>
    /// What a leading statement's refusal, anywhere in <paramref name="exception"/>'s chain (EF wraps what a save sends),
    /// means to the caller: a taken <c>Idempotency-Key</c>, a used-up budget, a suspended tenant; null for any other failure.
    /// </summary>
    public static ExpectedException? Refusals(Exception? exception) =>
        Idempotency.IdempotencyStore.Refusal(exception) ?? TenantBudgets.Refusal(exception);
}
