using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Notes on the context that a command may have removed rows (its text holds DELETE or UPDATE), so that the unit of
/// work asks the database which keys went, and only then: creates and reads pay nothing. A plain substring on purpose:
/// it also fires for a row lock (<c>FOR UPDATE</c>, <c>FOR NO KEY UPDATE</c>) and for an UPDATE of a table no credential
/// depends on, one query more for such a change; a finer reading of SQL that missed a revocation would leave a revoked
/// key working on other instances.
/// </summary>
internal sealed class RevocationCommandInterceptor : DbCommandInterceptor
{
    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Note(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Note(command, eventData);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Note(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Note(command, eventData);
        return ValueTask.FromResult(result);
    }

    private static void Note(DbCommand command, CommandEventData eventData)
    {
        if (eventData.Context is ProvisioningDbContext context
            && (command.CommandText.Contains("DELETE", StringComparison.Ordinal) || command.CommandText.Contains("UPDATE", StringComparison.Ordinal)))
        {
            context.MayHaveRevokedCredentials = true;
        }
    }
}
