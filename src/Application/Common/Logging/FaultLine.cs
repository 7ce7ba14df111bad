namespace Provisioning.Application.Common.Logging;

/// <summary>What line a fault gets (<see cref="FaultLines.Next"/>).</summary>
public enum FaultLine
{
    /// <summary>A line of its own with its stack trace: the first of its kind in a minute.</summary>
    WithStackTrace,

    /// <summary>A line of its own with its reason, no trace: the next of its kind in that minute, up to <see cref="FaultLines.OwnLinesPerMinute"/>.</summary>
    WithoutStackTrace,

    /// <summary>No line of its own: counted, and said with the others held back in one line at most once a minute.</summary>
    Counted,
}
