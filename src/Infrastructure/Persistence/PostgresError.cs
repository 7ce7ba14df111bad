using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// PostgreSQL's own error in an exception chain, for a classifier that names one refusal by its SQLSTATE (EF Core wraps what
/// a save or a transaction sends — <c>DbUpdateException</c>, <c>InvalidOperationException</c> —, a hosted start wraps it
/// again, and parallel work gathers it into an <see cref="AggregateException"/>). <see cref="DatabaseUnavailable.Is"/> and
/// <see cref="DatabaseUnavailable.TimedOut"/> walk the chain themselves: they judge other exceptions too, and stop at a
/// cancellation (which carries PostgreSQL's 57014 inside).
/// </summary>
public static class PostgresError
{
    /// <summary>The first <see cref="PostgresException"/> in <paramref name="exception"/>'s chain, or inside an
    /// <see cref="AggregateException"/> there; null when PostgreSQL did not answer with an error.</summary>
    public static PostgresException? In(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    return postgres;
                case AggregateException aggregate:
                    return aggregate.InnerExceptions.Select(In).FirstOrDefault(found => found is not null);
            }
        }

        return null;
    }

    /// <summary>The SQLSTATE of <see cref="In"/>, or null.</summary>
    public static string? StateIn(Exception? exception) => In(exception)?.SqlState;
}
