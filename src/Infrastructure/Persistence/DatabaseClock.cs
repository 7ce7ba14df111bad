using Microsoft.Extensions.Logging;
using Npgsql;
using Provisioning.Application.Common.Logging;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// Whether this instance's clock agrees with the database's. The rules read this instance's clock (<see cref="TimeProvider"/>:
/// a key's <c>expiresAt</c>, the lifetime of the tokens it issues and of JWTs it accepts, the ids it makes, the uses it
/// records), so an instance an hour slow lets an expired key work for that hour and issues tokens that the other instances
/// accept only for the 30 s of leeway, and one an hour fast issues tokens that live an hour longer elsewhere (probes, with one
/// instance an hour slow, then fast; docs/operations.md "Clocks"). Said at start and by <c>/readyz</c> (at most once a minute)
/// as a Warning naming the difference; not a refusal: a database host whose clock is wrong would take every instance out.
/// </summary>
public sealed class DatabaseClock(NpgsqlDataSource database, TimeProvider clock, ILogger<DatabaseClock> logger)
{
    /// <summary>A difference larger than this, beyond the time the question took, is said.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(5);

    private readonly OnceEvery _said = new(clock);

    /// <summary>Asks the database for its time and says so if this instance's differs by more than <see cref="Tolerance"/>.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        // On the pool directly: one statement, and a connection held only for it.
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT statement_timestamp()", connection);
        var asked = clock.GetUtcNow();
        var started = clock.GetTimestamp();
        var theirs = new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync(cancellationToken))!);
        var half = clock.GetElapsedTime(started) / 2;
        var ahead = asked + half - theirs; // this instance's clock against the database's
        if (ahead.Duration() - half > Tolerance && _said.Count(out _, out _))
        {
            var difference = Rounded(ahead.Duration());
            logger.LogWarning(
                "This instance's clock is {Difference} ({Seconds} s) {Direction} the database's: keys expire, tokens end and ids are " +
                "made by this instance's clock, so they are off by as much here. Fix this host's time synchronisation (NTP), or the " +
                "database host's if every instance says so",
                Readable(difference), (long)difference.TotalSeconds, ahead > TimeSpan.Zero ? "ahead of" : "behind");
        }
    }

    /// <summary>To the nearest second: an hour measured across a round trip as 3599.9 s read "59 min 59 s" (an upgrade probe).</summary>
    internal static TimeSpan Rounded(TimeSpan measured) => TimeSpan.FromSeconds(Math.Round(measured.TotalSeconds));

    internal static string Readable(TimeSpan difference) =>
        difference.TotalDays >= 1 ? $"{(int)difference.TotalDays} d {difference.Hours} h {difference.Minutes} min"
        : difference.TotalHours >= 1 ? $"{difference.Hours} h {difference.Minutes} min {difference.Seconds} s"
        : difference.TotalMinutes >= 1 ? $"{difference.Minutes} min {difference.Seconds} s"
        : $"{difference.Seconds} s";
}
