namespace Provisioning.Application.Common.Logging;

/// <summary>
/// The first <c>perMinute</c> occurrences of something in a minute (counted from the first of them) each get a line of their
/// own; those past them are for a line that counts them (<see cref="OnceEvery"/>). One rule for the lines a flood repeats
/// with something of each occurrence's own worth reading (a request id, a stack trace): <see cref="SlowMessages"/>,
/// <see cref="FaultLines"/>.
/// </summary>
public sealed class OwnLines(TimeProvider clock, int perMinute)
{
    private readonly Lock _gate = new();
    private long _minuteFrom = long.MinValue;
    private int _taken;

    /// <summary>
    /// This occurrence's place in its minute, from 1, when it gets a line of its own (the first of a minute is 1); 0 when it
    /// is past <c>perMinute</c>.
    /// </summary>
    public int Take()
    {
        var now = clock.GetTimestamp();
        lock (_gate)
        {
            if (_minuteFrom == long.MinValue || clock.GetElapsedTime(_minuteFrom, now) >= TimeSpan.FromMinutes(1))
            {
                (_minuteFrom, _taken) = (now, 0);
            }

            return _taken < perMinute ? ++_taken : 0;
        }
    }
}
