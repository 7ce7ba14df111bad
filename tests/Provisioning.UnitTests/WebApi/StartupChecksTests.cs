using System.Security.Authentication;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Provisioning.Infrastructure.Security;
using Provisioning.WebApi.Hosting;

namespace Provisioning.UnitTests.WebApi;

public sealed class StartupChecksTests
{
    [Fact]
    public void ASecretUnderAKeyNotGiven_IsSaidAsSuch_EvenWrapped_NotAsAnUnreachableDatabase()
    {
        // Counted in as an outage for requests (503), it must not read "PostgreSQL cannot be reached" at a start (a review).
        const string missing = "No configured master key decrypts this secret, which names the master key of fingerprint 5d417a9d.";
        foreach (var thrown in new Exception[] { new MasterKeyMissingException(missing), new InvalidOperationException("wrapped", new MasterKeyMissingException(missing)) })
        {
            var said = Assert.Throws<StartupException>(() => StartupChecks.Run(() => throw thrown)).Message;
            Assert.StartsWith("A stored secret cannot be decrypted with Provisioning:Secrets:MasterKey", said, StringComparison.Ordinal);
            Assert.Contains("fingerprint 5d417a9d", said, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AMigrationPostgreSQLRefused_IsItsOneSentence_AtTheStartToo()
    {
        // The start applies migrations as migrate does (MigrateOnStartup): the same sentence, not a stack trace.
        const string sentence = "PostgreSQL refused the migration 20261207141500_SuspensionsHeldByTheirSender (42701: column …); it was rolled back.";
        var refused = new Provisioning.Infrastructure.Persistence.MigrationFailedException(sentence,
            new Npgsql.PostgresException("column \"suspended_by\" of relation \"tenants\" already exists", "ERROR", "ERROR", "42701"));
        Assert.Equal(sentence, Assert.Throws<StartupException>(() => StartupChecks.Run(() => throw refused)).Message);
    }

    [Fact]
    public void WhatKestrelRefuses_IsSaidAsAListeningSetting_ButADefectInCodeKestrelCalls_KeepsItsStackTrace()
    {
        // Kestrel's frames on the stack told its refusals (a certificate file not there) from the rest; code of the
        // service's that Kestrel calls (endpoint defaults) failing was read as a listening setting too (noticed in a review).
        var refusing = new Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions();
        refusing.ConfigureEndpointDefaults(listen => Microsoft.AspNetCore.Hosting.ListenOptionsHttpsExtensions.UseHttps(listen, "/nonexistent/server.pfx"));
        var said = Assert.Throws<StartupException>(() => StartupChecks.Run(() => refusing.ListenLocalhost(5999))).Message;
        Assert.StartsWith("Cannot listen as the settings say (", said, StringComparison.Ordinal);

        var defective = new Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions();
        defective.ConfigureEndpointDefaults(_ => DefectiveEndpointDefaults());
        Assert.Throws<NullReferenceException>(() => StartupChecks.Run(() => defective.ListenLocalhost(5999)));

        // Thrown by what the service's code called (a review: the innermost frame alone was the framework's here).
        var checking = new Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions();
        checking.ConfigureEndpointDefaults(_ => DefectThroughAFrameworkCheck(null));
        Assert.Throws<ArgumentNullException>(() => StartupChecks.Run(() => checking.ListenLocalhost(5999)));
    }

    private static void DefectiveEndpointDefaults() => throw new NullReferenceException("a defect");

    private static void DefectThroughAFrameworkCheck(object? given) => ArgumentNullException.ThrowIfNull(given);

    [Fact]
    public void ADeadlockThatRunningAgainDidNotGetPast_IsSaidAsSuch_NotAsAnUnreachableDatabase()
    {
        // What EF's execution strategy throws over a migration PostgreSQL chose as a deadlock's victim, the fifth time.
        var thrown = new InvalidOperationException("An exception has been raised that is likely due to a transient failure.",
            new Npgsql.PostgresException("deadlock detected", "ERROR", "ERROR", "40P01"));
        var said = Assert.Throws<StartupException>(() => StartupChecks.Run(() => throw thrown)).Message;
        Assert.StartsWith("PostgreSQL rolled the work back as a conflict with another session (", said, StringComparison.Ordinal);
        Assert.Contains("40P01: deadlock detected. Other sessions lock the same tables", said, StringComparison.Ordinal);
    }

    [Fact]
    public void TlsToPostgreSql_ACertificateRefused_NoCommonProtocol_AndAServerWithoutTls_AreSaidAsSuch_NotAsAnUnreachableDatabase()
    {
        // As Npgsql throws them (a probe of TLS to PostgreSQL read "cannot be reached … start it, or correct the Host and
        // Port" for each; PostgresTlsTests drives them, and the files Npgsql reads, through a real server).
        var refused = new NpgsqlException("Exception while performing SSL handshake",
            new AuthenticationException("The remote certificate was rejected by the provided RemoteCertificateValidationCallback."));
        var said = Assert.Throws<StartupException>(() => StartupChecks.Run(() => throw new InvalidOperationException("wrapped", refused))).Message;
        Assert.Contains("was reached, but the TLS handshake failed (ConnectionStrings:Provisioning): The remote certificate was rejected", said, StringComparison.Ordinal);
        Assert.Contains("Root Certificate", said, StringComparison.Ordinal);

        // Not the certificate: the TLS library's own refusal inside (no version or cipher in common).
        var noCommonProtocol = new NpgsqlException("Exception while performing SSL handshake",
            new AuthenticationException("Authentication failed, see inner exception.", new InvalidOperationException("SSL Handshake failed with OpenSSL error - SSL_ERROR_SSL.")));
        said = Assert.Throws<StartupException>(() => StartupChecks.Run(() => throw noCommonProtocol)).Message;
        Assert.Contains("the TLS handshake failed (ConnectionStrings:Provisioning): Authentication failed, see inner exception (SSL Handshake failed", said, StringComparison.Ordinal);
        Assert.Contains("agree on no TLS version or cipher", said, StringComparison.Ordinal);
        Assert.DoesNotContain("Root Certificate", said, StringComparison.Ordinal);

        // The server's refusal of this client's certificate after a TLS 1.3 handshake, on the first read.
        var notTaken = new NpgsqlException("Exception while reading from stream", new IOException("The decryption operation failed",
            new InvalidOperationException("SSL error", new System.Security.Cryptography.CryptographicException("error:0A000418:SSL routines::tlsv1 alert unknown ca"))));
        said = Assert.Throws<StartupException>(() => StartupChecks.Run(() => throw notTaken)).Message;
        Assert.Contains("refused this client's certificate (ConnectionStrings:Provisioning): error:0A000418:SSL routines::tlsv1 alert unknown ca.", said, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot be reached", said, StringComparison.Ordinal);

        var noTls = new NpgsqlException("SSL connection requested. No SSL enabled connection from this host is configured.");
        said = Assert.Throws<StartupException>(() => StartupChecks.Run(() => throw noTls)).Message;
        Assert.Contains("was reached, but not over TLS, which ConnectionStrings:Provisioning requires (SSL Mode): SSL connection requested", said, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("System.Boolean", "the setting takes true or false")]
    [InlineData("System.Int32", "the setting takes a whole number, written in digits")]
    [InlineData("System.TimeSpan", "the setting takes a time span, hh:mm:ss or d.hh:mm:ss (01:00:00 is an hour")]
    public void AValueTheBinderCannotConvert_IsSaidWithWhatTheSettingTakes(string type, string takes)
    {
        // The binder names a .NET type, not what to write (a probe of every setting misconfigured).
        var thrown = new InvalidOperationException($"Failed to convert configuration value 'abc' at 'Provisioning:X' to type '{type}'.");
        var said = Assert.Throws<StartupException>(() => StartupChecks.Run(() => throw thrown)).Message;
        Assert.StartsWith($"Failed to convert configuration value 'abc' at 'Provisioning:X' to type '{type}': {takes}", said, StringComparison.Ordinal);
        Assert.EndsWith(" (README, \"Configuration\").", said, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADatabaseThatDoesNotAnswerInTime_NamesTheConnectionStringToCorrect()
    {
        // A session string (ProvisioningSession) pointing at a listener that never answers: the sentence said "the connection
        // string", not which (a probe of every setting misconfigured).
        var timedOut = new NpgsqlException("The operation has timed out", new TimeoutException("The operation has timed out."));
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:ProvisioningSession"] = "Host=db;Port=15999;Database=p",
        }).Build();
        var said = (await Assert.ThrowsAsync<StartupException>(() => StartupChecks.RunAsync(() => throw timedOut, settings, "ProvisioningSession"))).Message;
        Assert.StartsWith("PostgreSQL did not answer in time (", said, StringComparison.Ordinal);
        Assert.Contains("correct the Host and Port in ConnectionStrings:ProvisioningSession)", said, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AResetWhileConnectingWithAClientCertificate_AlsoNamesTheCertificate_WithoutOne_OnlyTheServer()
    {
        // Over TLS 1.3 a server refusing the client's certificate says so in an alert after the handshake, then closes; a
        // client slow to write (a loaded CI host, 2026-12-06) meets the close as a reset and never reads the alert: it was
        // told only "start it, or correct the Host and Port".
        var reset = new NpgsqlException("Exception while writing to stream", new IOException("Unable to write data to the transport connection: Connection reset by peer.",
            new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionReset)));
        static IConfiguration Settings(string connectionString) => new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Provisioning"] = connectionString }).Build();

        var withCertificate = (await Assert.ThrowsAsync<StartupException>(() => StartupChecks.RunAsync(() => throw reset,
            Settings("Host=db;Database=p;Username=u;SSL Mode=VerifyFull;SSL Certificate=/etc/provisioning/client.pem;SSL Key=/etc/provisioning/client.key")))).Message;
        Assert.StartsWith("PostgreSQL cannot be reached at db:5432, database 'p' (ConnectionStrings:Provisioning): ", withCertificate, StringComparison.Ordinal);
        Assert.Contains("Or it was reached and refused this client's certificate (SSL Certificate)", withCertificate, StringComparison.Ordinal);

        // No certificate sent (SSL Mode=Disable; whatever PGSSLCERT or ~/.postgresql this host has): only the server is named.
        var without = (await Assert.ThrowsAsync<StartupException>(() => StartupChecks.RunAsync(() => throw reset,
            Settings("Host=db;Database=p;Username=u;SSL Mode=Disable;SSL Certificate=/etc/provisioning/client.pem")))).Message;
        Assert.EndsWith("Start it, or correct the Host and Port in the connection string.", without, StringComparison.Ordinal);

        // Refused at the door (nothing listening): no certificate was ever shown, so none is named.
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:5432",
            new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));
        var closed = (await Assert.ThrowsAsync<StartupException>(() => StartupChecks.RunAsync(() => throw refused,
            Settings("Host=db;Database=p;Username=u;SSL Certificate=/etc/provisioning/client.pem")))).Message;
        Assert.DoesNotContain("certificate", closed, StringComparison.Ordinal);
    }

    [Fact]
    public void AHandshakeTheTransportCut_IsAnUnreachableDatabase_AndAFileNotFoundOutsideNpgsql_IsNoDatabaseMatter()
    {
        // A server stopping mid-handshake, in both shapes .NET gives it: an outage like any other, not a certificate to trust.
        foreach (var cut in new Exception[]
        {
            new NpgsqlException("Exception while performing SSL handshake", new IOException("Received an unexpected EOF or 0 bytes from the transport stream.")),
            new NpgsqlException("Exception while performing SSL handshake",
                new AuthenticationException("Authentication failed because the remote party has closed the transport stream.", new IOException("EOF"))),
        })
        {
            var said = Assert.Throws<StartupException>(() => StartupChecks.Run(() => throw cut)).Message;
            Assert.StartsWith("PostgreSQL cannot be reached at ", said, StringComparison.Ordinal);
        }

        // A file, or a key, the service itself misses (not one Npgsql reads to connect) keeps its type and trace: a defect,
        // not an operator's fix, and no master key's fault either.
        Assert.Throws<FileNotFoundException>(() => StartupChecks.Run(() => throw new FileNotFoundException("Could not find file 'x'.")));
        var ours = Assert.Throws<StartupException>(() => StartupChecks.Run(() => throw new System.Security.Cryptography.CryptographicException("The computed authentication tag did not match the input authentication tag."))).Message;
        Assert.StartsWith("A stored secret cannot be decrypted with Provisioning:Secrets:MasterKey", ours, StringComparison.Ordinal);
    }
}
