using Provisioning.Application.Common.Logging;

namespace Provisioning.UnitTests.Application;

public sealed class FaultLogTests
{
    private static Exception ThrownAtOnePlace(string message)
    {
        try
        {
            throw new InvalidOperationException(message);
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }

    private static Exception ThrownAtAnother(string message)
    {
        try
        {
            throw new InvalidOperationException(message);
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }

    [Fact]
    public void AStackTrace_IsLoggedOnceAMinutePerKind_AndAKindIsWhereItWasThrownToo()
    {
        var text = "the same text " + Guid.NewGuid(); // a kind no other test has met
        Assert.True(FaultLog.WantsStackTrace(ThrownAtOnePlace(text)));
        Assert.False(FaultLog.WantsStackTrace(ThrownAtOnePlace(text))); // the same again: one line, no trace
        Assert.True(FaultLog.WantsStackTrace(ThrownAtAnother(text)));   // another bug with that text: its own trace
        Assert.Equal($"InvalidOperationException: {text}", FaultLog.Reason(new Exception("outer", ThrownAtOnePlace(text))));
    }

    [Fact]
    public void AReason_IsOneLine_ThoughThePostgreSQLErrorsMessageGoesOnWithItsDetail()
    {
        // Npgsql's message of a PostgreSQL error (a disk full: a probe): the SQLSTATE and the server's text, not the redacted
        // DETAIL and its hint to turn on "Include Error Detail".
        var full = new Npgsql.PostgresException("could not extend file \"base/16384/16494\": No space left on device", "ERROR", "ERROR", "53100",
            detail: "a row's values");
        Assert.Contains("\n", full.Message);
        Assert.Equal("PostgresException: 53100: could not extend file \"base/16384/16494\": No space left on device",
            FaultLog.Reason(new InvalidOperationException("wrapped", full)));
    }

    [Fact]
    public void ABareTimeout_IsSaidWithWhatTimedOut()
    {
        // Npgsql's pool exhausted and a command waiting on a lock read "The operation has timed out" and "Timeout during
        // reading attempt" alone (a probe of a table locked under load).
        var exhausted = new Npgsql.NpgsqlException("The connection pool has been exhausted, either raise 'Max Pool Size' (currently 100) or 'Timeout' (currently 15 seconds) in your connection string.",
            new TimeoutException("The operation has timed out."));
        Assert.Equal("NpgsqlException: The connection pool has been exhausted, either raise 'Max Pool Size' (currently 100) or 'Timeout' " +
            "(currently 15 seconds) in your connection string. (TimeoutException: The operation has timed out.)",
            FaultLog.Reason(new InvalidOperationException("wrapped", exhausted)));
        Assert.Equal("TimeoutException: alone", FaultLog.Reason(new TimeoutException("alone")));
    }

    [Fact]
    public void FaultsOfOneKindAtOnce_LogOneStackTrace()
    {
        // It read, then set: two identical 57P01 faults 30 ms apart both logged their trace (an operator's probe). Two threads
        // released together, many times over, each time with a kind of its own: exactly one of each pair may log the trace.
        var doubles = 0;
        for (var round = 0; round < 300; round++)
        {
            var text = $"at once {round} {Guid.NewGuid()}";
            var (first, second) = (ThrownAtOnePlace(text), ThrownAtOnePlace(text));
            var go = 0;
            var wanted = new bool[2];
            var threads = new[] { first, second }.Select((fault, i) => new Thread(() =>
            {
                while (Volatile.Read(ref go) == 0)
                {
                }

                wanted[i] = FaultLog.WantsStackTrace(fault);
            })).ToArray();
            foreach (var thread in threads)
            {
                thread.Start();
            }

            Volatile.Write(ref go, 1);
            foreach (var thread in threads)
            {
                thread.Join();
            }

            Assert.Contains(true, wanted);
            doubles += wanted.All(w => w) ? 1 : 0;
        }

        Assert.Equal(0, doubles);
    }
}
