using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Revocation follows the data. A trigger on <c>api_keys</c> (migration <c>RevocationFollowsData</c>) fires for every
/// key row that goes — a delete by a handler, a foreign-key cascade from an app, a service account or a whole tenant
/// subtree, whatever path is added later — or is disabled, and so does a tenant's status change (suspend, resume: the
/// notice is <see cref="Everything"/>, since every key below it changes state), and, in the changing transaction:
/// <list type="bullet">
/// <item>queues <c>NOTIFY</c> on <see cref="Channel"/>, delivered to every instance's
/// <see cref="CredentialRevocationListener"/> when, and only if, the transaction commits;</item>
/// <item>appends the key id to the transaction-local setting <see cref="RevokedSetting"/>, which this instance's
/// <see cref="UnitOfWork"/> reads just before committing, so that its own cache drops the keys the moment the commit
/// returns (its listener's copy of the notice may arrive a little later).</item>
/// </list>
/// No handler has to remember anything.
/// </summary>
public static class Revocation
{
    public const string Channel = "provisioning_credentials_revoked";
    public const string RevokedSetting = "provisioning.revoked_keys";

    /// <summary>The notice a tenant's suspension or resumption sends: every cached credential may have changed.</summary>
    public const string Everything = "*";

    public static bool IsEverything(string? payload) => payload?.Split(',').Contains(Everything) == true;

    public static IReadOnlyList<KeyId> Parse(string? payload) =>
        string.IsNullOrEmpty(payload)
            ? []
            : [.. payload.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(id => id != Everything).Distinct().Select(id => new KeyId(id))];
}

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
