namespace Provisioning.WebApi.Hosting.Readiness;

/// <summary>Configuration section <c>Provisioning:Readiness</c>.</summary>
public sealed class ReadinessOptions
{
    public const string Section = "Provisioning:Readiness";

    /// <summary>The longest a window may be: beyond a minute a load balancer would learn of an outage too late.</summary>
    public const int MaxReuseMilliseconds = 60_000;

    /// <summary>
    /// How long a <c>/readyz</c> answer is reused for the probes that follow it (<see cref="ReadinessReuse"/>); 0 checks on
    /// every probe.
    /// </summary>
    public int ReuseMilliseconds { get; set; } = 1000;

    /// <summary>The window from configuration, or a start-up refusal naming the setting.</summary>
    public static TimeSpan Read(IConfiguration configuration)
    {
        var milliseconds = StartupChecks.Run(() => configuration.GetSection(Section).Get<ReadinessOptions>()?.ReuseMilliseconds)
            ?? new ReadinessOptions().ReuseMilliseconds;
        return milliseconds is >= 0 and <= MaxReuseMilliseconds
            ? TimeSpan.FromMilliseconds(milliseconds)
            : throw new StartupException($"{Section}:{nameof(ReuseMilliseconds)} must be 0 (check on every probe) to {MaxReuseMilliseconds}; it is {milliseconds}.");
    }
}
