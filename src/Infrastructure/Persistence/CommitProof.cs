using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A query that finds a row the transaction writes with its <c>COMMIT</c> (<see cref="CommitTail"/>): true once that
/// transaction has committed, false while it has not — asked on another connection when the transaction's own was lost
/// while it committed, to tell a change that was made from one that was not (<see cref="UnitOfWork"/>). Built fresh for
/// each asking: a parameter belongs to one command.
/// </summary>
internal sealed class CommitProof(string sql, Func<NpgsqlParameter[]> parameters)
{
    public async Task<bool> HoldsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var query = new NpgsqlCommand(sql, connection);
        query.Parameters.AddRange(parameters());
        return (bool)(await query.ExecuteScalarAsync(cancellationToken))!;
    }
}
