using System.Net.Sockets;
using System.Security.Authentication;
using Npgsql;
using Provisioning.Infrastructure.Persistence;
using Provisioning.Infrastructure.Security;

namespace Provisioning.UnitTests.Infrastructure;

/// <summary>One order of the database's failures for the start and /readyz (<see cref="DatabaseFailure.Of"/>).</summary>
public sealed class DatabaseFailureTests
{
    private static Exception Wrapped(Exception inner) => new InvalidOperationException("wrapped", inner);

    private static PostgresException Server(string sqlState, string severity = "ERROR") => new("m", severity, severity, sqlState);

    [Theory]
    [InlineData("28P01", "FATAL", DatabaseFailureKind.LoginRefused)]    // a password changed under the service: was "ended the session" in /readyz
    [InlineData("28000", "FATAL", DatabaseFailureKind.LoginRefused)]    // no pg_hba.conf entry, a role that may not log in
    [InlineData("3D000", "FATAL", DatabaseFailureKind.DatabaseMissing)]
    [InlineData("42501", "ERROR", DatabaseFailureKind.MissingRight)]
    [InlineData("53100", "PANIC", DatabaseFailureKind.OutOfResource)]   // out of a resource before "ended"
    [InlineData("55P03", "ERROR", DatabaseFailureKind.ServerTimedOut)]  // lock_timeout: reached, the role's setting or a lock
    [InlineData("57014", "ERROR", DatabaseFailureKind.ServerTimedOut)]  // statement_timeout
    [InlineData("25P04", "FATAL", DatabaseFailureKind.ServerTimedOut)]  // transaction_timeout: a timeout before "ended"
    [InlineData("57P01", "FATAL", DatabaseFailureKind.ServerStopped)]
    [InlineData("XX000", "FATAL", DatabaseFailureKind.SessionEnded)]    // a full disk's "could not write init file"
    [InlineData("PX503", "ERROR", DatabaseFailureKind.SecretUnderRetiredKey)]
    [InlineData("40P01", "ERROR", DatabaseFailureKind.Conflict)]
    [InlineData("57P03", "FATAL", DatabaseFailureKind.Unreachable)]     // starting up
    [InlineData("25006", "ERROR", DatabaseFailureKind.ReadOnly)]        // read-only: a standby, or a role's default
    public void PostgreSQLsRefusals_AreEachTheirKind_WrappedOrNot(string sqlState, string severity, DatabaseFailureKind kind)
    {
        var error = Server(sqlState, severity);
        Assert.Equal(new DatabaseFailure(kind, error), DatabaseFailure.Of(error));
        Assert.Equal(new DatabaseFailure(kind, error), DatabaseFailure.Of(Wrapped(error)));
    }

    [Fact]
    public void WhatIsNotTheDatabases_IsNoFailureOfIt()
    {
        Assert.Null(DatabaseFailure.Of(Server("23505")));    // the service's to answer
        Assert.Null(DatabaseFailure.Of(Server("42P01")));    // a fault
        Assert.Null(DatabaseFailure.Of(new OperationCanceledException("cancelled", Server("57014"))));
        Assert.Null(DatabaseFailure.Of(new NullReferenceException()));
    }

    [Fact]
    public void WhatIsNotPostgreSQLs_IsTheKindItsExceptionSays()
    {
        var refused = new SocketException(111);
        Assert.Equal(new DatabaseFailure(DatabaseFailureKind.Unreachable, refused), DatabaseFailure.Of(new NpgsqlException("connect", refused)));
        var timeout = new TimeoutException("timeout");
        Assert.Equal(new DatabaseFailure(DatabaseFailureKind.TimedOut, timeout), DatabaseFailure.Of(new NpgsqlException("read", timeout)));
        // Several hosts: one timed out, another starting up — Npgsql's timeout, not the server's timer (a review).
        var hosts = new NpgsqlException("No suitable host", new AggregateException(
            new NpgsqlException("connect", new TimeoutException("timeout")), Server("57P03", "FATAL")));
        Assert.Equal(DatabaseFailureKind.TimedOut, DatabaseFailure.Of(hosts)!.Kind);

        var rejected = new AuthenticationException("The remote certificate was rejected by the provided RemoteCertificateValidationCallback.");
        Assert.Equal(DatabaseFailureKind.CertificateRejected, DatabaseFailure.Of(new NpgsqlException("handshake", rejected))!.Kind);
        var noCommon = new AuthenticationException("Authentication failed", new System.ComponentModel.Win32Exception());
        Assert.Equal(DatabaseFailureKind.NoCommonTls, DatabaseFailure.Of(new NpgsqlException("handshake", noCommon))!.Kind);
        var plain = new NpgsqlException("SSL connection requested. No SSL enabled connection from this host is configured.");
        Assert.Equal(DatabaseFailureKind.TlsNotOffered, DatabaseFailure.Of(plain)!.Kind);
        var alert = new System.Security.Cryptography.CryptographicException("error:0A000418:SSL routines::tlsv1 alert unknown ca");
        Assert.Equal(DatabaseFailureKind.ClientCertificateRefused, DatabaseFailure.Of(new NpgsqlException("read", new IOException("read", alert)))!.Kind);

        Assert.Equal(DatabaseFailureKind.MasterKeyMissing, DatabaseFailure.Of(Wrapped(new MasterKeyMissingException("not given")))!.Kind);
        Assert.Equal(DatabaseFailureKind.MasterKeyRetired, DatabaseFailure.Of(Wrapped(new MasterKeyRetiredException()))!.Kind);
    }
}
