using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// Database commands of the background polls that run all the time — the revocation heartbeat twice a second, the
/// comparison of the pool's settings every 5 s — left out of the traces: exported, they were two one-span traces a second
/// per idle instance (≈ 190,000 a day, a probe of the OTLP export), burying the requests'; and what a new session runs
/// as it logs in (<see cref="Run"/>, in the pool's connection initializer). What a request sends, and the background
/// work that changes something (the key-usage flush, the retention pruner), is traced as before.
/// </summary>
public static class UntracedCommands
{
    private static readonly AsyncLocal<bool> Untraced = new();

    /// <summary>From here on, in the calling flow (its awaits and what it calls), no command is traced: call it first in a poll's loop.</summary>
    public static void FromHere() => Untraced.Value = true;

    /// <summary>
    /// <paramref name="command"/> untraced, in whatever flow it runs, the flow's mark put back after (a method that is not
    /// async would leave it set for its caller): what a new session runs as it logs in, which went into the trace of
    /// whatever opened the connection — a background flush's as a one-span trace, a flaky test found.
    /// </summary>
    public static T Run<T>(Func<T> command)
    {
        var was = Untraced.Value;
        Untraced.Value = true;
        try
        {
            return command();
        }
        finally
        {
            Untraced.Value = was;
        }
    }

    /// <inheritdoc cref="Run"/>
    public static async Task<T> RunAsync<T>(Func<Task<T>> command)
    {
        Untraced.Value = true; // (an async method's flow is its own: the caller's mark is as it was once this returns)
        return await command();
    }

    /// <summary><paramref name="builder"/> with the filter that leaves out what <see cref="FromHere"/> marked (every data source the service builds).</summary>
    public static NpgsqlDataSourceBuilder LeavingOutPolls(this NpgsqlDataSourceBuilder builder) =>
        builder.ConfigureTracing(tracing => tracing
            .ConfigureCommandFilter(_ => !Untraced.Value)
            .ConfigureBatchFilter(_ => !Untraced.Value));
}
