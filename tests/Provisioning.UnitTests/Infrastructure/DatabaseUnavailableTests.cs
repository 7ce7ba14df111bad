using System.Net.Sockets;
using Npgsql;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.UnitTests.Infrastructure;

public sealed class DatabaseUnavailableTests
{
    [Fact]
    public void ALostConnection_AnywhereInTheChain_IsUnavailable()
    {
        Assert.True(DatabaseUnavailable.Is(new InvalidOperationException("transient", new NpgsqlException("write", new SocketException(104)))));
        Assert.True(DatabaseUnavailable.Is(new TimeoutException()));
    }

    [Fact]
    public void ANullReferenceThrownInsideNpgsql_IsUnavailable_ButOneThrownElsewhereIsAFault()
    {
        // Npgsql's defect with a connection broken under an auto-prepared statement (see DatabaseUnavailable).
        Assert.True(DatabaseUnavailable.Is(new NullReferenceException { Source = "Npgsql" }));
        Assert.False(DatabaseUnavailable.Is(new NullReferenceException { Source = "Provisioning.Application" }));
        Assert.False(DatabaseUnavailable.Is(new NullReferenceException()));
    }

    [Theory]
    [InlineData("55P03", true)] // lock_timeout
    [InlineData("57014", true)] // statement_timeout
    [InlineData("25P03", true)] // idle_in_transaction_session_timeout
    [InlineData("25006", true)] // a read-only database (a standby after a failover)
    [InlineData("57P01", true)] // the server shutting down
    [InlineData("42501", true)] // a right the role lacks: fixed by a GRANT, no client's doing (DatabaseGrants)
    [InlineData("53000", true)] // insufficient resources
    [InlineData("53100", true)] // disk full
    [InlineData("53200", true)] // out of memory
    [InlineData("53300", true)] // too many connections
    [InlineData("53400", true)] // a configured limit passed (temp_file_limit)
    [InlineData("PX503", true)] // a key secret under a retired master key: that instance's to stop, the others serve
    [InlineData("54000", false)] // a program limit (a statement too complex): the service's statement, a fault
    [InlineData("23505", false)] // a unique violation: the service's to answer, not the database's state
    [InlineData("42P01", false)] // an undefined table: a fault
    public void PostgreSQLsOwnRefusals_AreUnavailableWhenTheyAreTheDatabasesState(string sqlState, bool unavailable) =>
        Assert.Equal(unavailable, DatabaseUnavailable.Is(new InvalidOperationException("wrapped", new PostgresException("m", "ERROR", "ERROR", sqlState))));

    [Fact]
    public void ASessionOrServerPostgreSQLEnded_IsUnavailable_WhateverItsCode()
    {
        // A new backend on a full disk: "FATAL XX000 could not write init file" (a probe: 500s among the 503s); the same
        // internal error as an ERROR of a statement stays a fault.
        Assert.True(DatabaseUnavailable.Is(new InvalidOperationException("open", new PostgresException("could not write init file", "FATAL", "FATAL", "XX000"))));
        Assert.True(DatabaseUnavailable.Is(new PostgresException("could not write to file \"pg_wal/xlogtemp.1\"", "PANIC", "PANIC", "53100")));
        Assert.False(DatabaseUnavailable.Is(new PostgresException("cache lookup failed", "ERROR", "ERROR", "XX000")));

        // The start and /readyz name such an ending by its code and text, not "cannot be reached" (a review) — unless it is one.
        var initFile = new PostgresException("could not write init file", "FATAL", "FATAL", "XX000");
        Assert.Same(initFile, DatabaseUnavailable.SessionEnded(new InvalidOperationException("open", initFile)));
        Assert.Null(DatabaseUnavailable.SessionEnded(new PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03")));
        Assert.Null(DatabaseUnavailable.SessionEnded(new PostgresException("invalid frontend message", "FATAL", "FATAL", "08P01")));
        var transactionTimeout = new PostgresException("terminating connection due to transaction timeout", "FATAL", "FATAL", "25P04");
        Assert.Null(DatabaseUnavailable.SessionEnded(transactionTimeout));
        Assert.True(DatabaseUnavailable.TimedOut(transactionTimeout));
        Assert.Null(DatabaseUnavailable.SessionEnded(new PostgresException("cache lookup failed", "ERROR", "ERROR", "XX000")));
    }

    [Fact]
    public void AnInstancesOwnRefusalToWriteUnderARetiredMasterKey_IsTheDatabasesAnswer_503() =>
        Assert.True(DatabaseUnavailable.Is(new InvalidOperationException("wrapped", new Provisioning.Infrastructure.Security.MasterKeyRetiredException())));

    [Fact]
    public void ASecretUnderAMasterKeyThisInstanceWasNotGiven_IsItsConfiguration_503_ButAnAlteredSecretIsAFault()
    {
        // A probe restored a database under another key beneath running instances: every authenticated request answered
        // 500 ("report it"); the instance lacks a key, as one on a retired key does. An altered secret no key decrypts stays 500.
        Assert.True(DatabaseUnavailable.Is(new InvalidOperationException("wrapped", new Provisioning.Infrastructure.Security.MasterKeyMissingException("names the master key of fingerprint 5d417a9d"))));
        Assert.False(DatabaseUnavailable.Is(new Provisioning.Infrastructure.Security.SecretAlteredException("it was altered")));
    }

    [Fact]
    public void PostgreSQLsError_IsFoundWhereverItIsWrapped_AndEachRefusalIsToldByItsState()
    {
        // EF wraps a save's error once, a failed transaction's twice, a hosted start again; parallel work gathers it.
        var missingRight = new PostgresException("permission denied for table apps", "ERROR", "ERROR", "42501");
        var retiredKey = new PostgresException("under a retired master key", "ERROR", "ERROR", DatabaseUnavailable.SecretUnderRetiredMasterKey);
        Assert.Same(missingRight, PostgresError.In(new InvalidOperationException("start", new InvalidOperationException("tx", missingRight))));
        Assert.Same(retiredKey, PostgresError.In(new AggregateException(new TimeoutException(), new InvalidOperationException("save", retiredKey))));
        Assert.Null(PostgresError.In(new InvalidOperationException("no database error", new SocketException(104))));
        Assert.Null(PostgresError.In(null));

        Assert.Same(missingRight, DatabaseUnavailable.MissingRight(new InvalidOperationException("wrapped", missingRight)));
        Assert.Null(DatabaseUnavailable.MissingRight(retiredKey));
        Assert.Same(retiredKey, DatabaseUnavailable.RetiredKeyRefusal(new InvalidOperationException("wrapped", retiredKey)));
        Assert.Null(DatabaseUnavailable.RetiredKeyRefusal(missingRight));
    }

    [Fact]
    public void WantOfAResource_IsTold_ByTheRefusalInTheChain()
    {
        // An outage for a client (503), but the operator frees the resource or raises the limit: the start and /readyz say so.
        var tempFileLimit = new PostgresException("temporary file size exceeds temp_file_limit (64kB)", "ERROR", "ERROR", "53400");
        Assert.Same(tempFileLimit, DatabaseUnavailable.OutOfResource(new InvalidOperationException("wrapped", tempFileLimit)));
        Assert.True(DatabaseUnavailable.Is(tempFileLimit));
        Assert.Null(DatabaseUnavailable.OutOfResource(new PostgresException("canceling statement due to lock timeout", "ERROR", "ERROR", "55P03")));
        Assert.Null(DatabaseUnavailable.OutOfResource(new NpgsqlException("connection refused")));
    }

    [Fact]
    public void AStatementThatGaveUpWaiting_IsTold_FromAServerThatCannotBeReached()
    {
        Assert.True(DatabaseUnavailable.TimedOut(new NpgsqlException("Exception while reading from stream", new TimeoutException())));
        Assert.True(DatabaseUnavailable.TimedOut(new InvalidOperationException("wrapped", new PostgresException("canceling statement due to lock timeout", "ERROR", "ERROR", "55P03"))));
        Assert.False(DatabaseUnavailable.TimedOut(new NpgsqlException("connection refused", new System.Net.Sockets.SocketException(111))));
        Assert.False(DatabaseUnavailable.TimedOut(new OperationCanceledException("Query was cancelled", new PostgresException("canceling statement due to user request", "ERROR", "ERROR", "57014"))));
    }

    [Fact]
    public void ACancellation_IsNoOutage_ThoughPostgreSQLsQueryCanceledIsInside()
    {
        // As Npgsql throws it when a cancellation token fires during a command (Ctrl-C in an operator verb).
        Assert.False(DatabaseUnavailable.Is(new OperationCanceledException("Query was cancelled", new PostgresException("canceling statement due to user request", "ERROR", "ERROR", "57014"))));
    }

    [Fact]
    public void ABackgroundPassFailingForAnOutage_IsOneLineWithItsReason_AnyOtherFailureCarriesItsStackTrace()
    {
        // The pruner and the key-usage recorder fail every pass while the database is away: a trace each time buried the log.
        var logger = new RecordingLogger();
        DatabaseUnavailable.LogFailedPass(logger, new InvalidOperationException("wrapped", new NpgsqlException("connection refused")), "Could not prune");
        DatabaseUnavailable.LogFailedPass(logger, new InvalidOperationException("a bug"), "Could not prune");
        Assert.Equal(2, logger.Lines.Count);
        Assert.All(logger.Lines, line => Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, line.Level));
        Assert.Null(logger.Lines[0].Exception);
        Assert.Equal("Could not prune (NpgsqlException: connection refused)", logger.Lines[0].Text);
        Assert.IsType<InvalidOperationException>(logger.Lines[1].Exception);
    }

    private sealed class RecordingLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<(Microsoft.Extensions.Logging.LogLevel Level, string Text, Exception? Exception)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception), exception));
    }

    [Fact]
    public void OtherFaults_AreNot()
    {
        Assert.False(DatabaseUnavailable.Is(new InvalidOperationException("a bug")));
        Assert.False(DatabaseUnavailable.Is(null));
    }
}
