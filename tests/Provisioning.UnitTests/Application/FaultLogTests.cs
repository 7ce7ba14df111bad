using Provisioning.Application.Common.Logging;

namespace Provisioning.UnitTests.Application;

public sealed class FaultLogTests
{
    [Fact]
    public void AReason_IsTheInnermostExceptionsTypeAndMessage()
    {
        Assert.Equal("InvalidOperationException: the text", FaultLog.Reason(new Exception("outer", new InvalidOperationException("the text"))));
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
}
