using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Npgsql;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>
/// The service on a PostgreSQL that speaks TLS, as managed databases do, configured the way docs/operations.md "TLS to
/// PostgreSQL" says (Npgsql's <c>SSL Mode</c> and <c>Root Certificate</c> in the connection string): every session of it
/// encrypted, and each way it can go wrong said as what it is — a certificate not trusted, a file not there, a server
/// without TLS —, never "cannot be reached … start it, or correct the Host and Port", which a probe read for all of them.
/// </summary>
[Collection(ProcessTestCollection.Name)]
public sealed class PostgresTlsTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task OverTls_EverySessionIsEncrypted_AndEachFailureIsSaidAsWhatItIs_AtTheStartAndAtReadyz()
    {
        await using var server = await PostgresServer.StartOwnAsync();
        var database = await server.CreateDatabaseAsync("tls");
        var folder = Directory.CreateTempSubdirectory("provisioning-tls-").FullName;
        using var authority = NewAuthority("CN=Provisioning test CA");
        using var otherAuthority = NewAuthority("CN=Another CA");
        var trusted = Path.Combine(folder, "ca.pem");
        await File.WriteAllTextAsync(trusted, authority.ExportCertificatePem());
        var untrusted = Path.Combine(folder, "other-ca.pem");
        await File.WriteAllTextAsync(untrusted, otherAuthority.ExportCertificatePem());
        string Tls(SslMode mode, string? rootCertificate = null) =>
            new NpgsqlConnectionStringBuilder(database) { SslMode = mode, RootCertificate = rootCertificate, Pooling = true }.ConnectionString;
        Dictionary<string, string?> Settings(string connectionString) => new()
        {
            ["ConnectionStrings__Provisioning"] = connectionString,
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
            ["Provisioning__Readiness__ReuseMilliseconds"] = "0",
        };

        try
        {
            // A server without TLS, and a connection string that requires it.
            await using (var process = ServiceProcess.Start(Settings(Tls(SslMode.Require)), "--urls", "http://127.0.0.1:0"))
            {
                StartupProcessTests.AssertOneSentenceRefusal("no TLS on the server", await process.WaitForExitAsync(ExitTimeout), process,
                    "was reached, but not over TLS, which ConnectionStrings:Provisioning requires (SSL Mode): SSL connection requested");
            }

            await UseCertificateAsync(database, "first", authority, trusted);

            // A certificate signed by a CA the connection string does not trust.
            await using (var process = ServiceProcess.Start(Settings(Tls(SslMode.VerifyFull, untrusted)), "--urls", "http://127.0.0.1:0"))
            {
                StartupProcessTests.AssertOneSentenceRefusal("a CA that did not sign it", await process.WaitForExitAsync(ExitTimeout), process,
                    "was reached, but the TLS handshake failed (ConnectionStrings:Provisioning): The remote certificate was rejected");
                Assert.Contains("Root Certificate", process.StandardError);
                Assert.DoesNotContain("cannot be reached", process.StandardError);
            }

            // Files Npgsql reads to connect: a root certificate not there; a client certificate in a folder not there (Npgsql
            // reads it outside any exception of its own: the start crashed with a stack trace); a client key whose SSL Password
            // is wrong (it read as this service's master key not decrypting a secret). A review found the last two.
            var missing = Path.Combine(folder, "not-there.pem");
            var clientKey = Path.Combine(folder, "client.key");
            using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                await File.WriteAllTextAsync(clientKey, key.ExportEncryptedPkcs8PrivateKeyPem("right-password",
                    new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000)));
                var request = new CertificateRequest("CN=tls_client", key, HashAlgorithmName.SHA256);
                using var clientCertificate = request.Create(authority, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
                await File.WriteAllTextAsync(Path.Combine(folder, "client.pem"), clientCertificate.ExportCertificatePem());
                using var notTaken = request.Create(otherAuthority, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
                await File.WriteAllTextAsync(Path.Combine(folder, "client-other.pem"), notTaken.ExportCertificatePem());
            }

            // A role the server lets in by its client certificate alone (pg_hba.conf's cert method: no password), the
            // certificate's name its name.
            await AskForClientCertificatesAsync(database, "tls_client", authority);
            string WithClientKey(string password) =>
                new NpgsqlConnectionStringBuilder(Tls(SslMode.VerifyFull, trusted)) { Username = "tls_client" }.ConnectionString
                + $";SSL Certificate={folder}/client.pem;SSL Key={clientKey};SSL Password={password}";
            foreach (var (because, connectionString, said) in new[]
            {
                ("no such root certificate", Tls(SslMode.VerifyFull, missing), $"Could not find file '{missing}'"),
                ("no such client certificate", Tls(SslMode.VerifyFull, trusted) + $";SSL Certificate={folder}/gone/client.pem;SSL Key={clientKey}", $"'{folder}/gone/client.pem'"),
                // (.NET's own words for it: "The key contents do not contain a PEM, the content is malformed, or the key does not
                // match the certificate"; the same key with its right password starts, below.)
                ("a wrong client key password", WithClientKey("wrong-password"), "The key contents do not contain a PEM"),
            })
            {
                await using var process = ServiceProcess.Start(Settings(connectionString), "--urls", "http://127.0.0.1:0");
                StartupProcessTests.AssertOneSentenceRefusal(because, await process.WaitForExitAsync(ExitTimeout), process,
                    "A certificate, key or file Npgsql reads to connect cannot be used (ConnectionStrings:Provisioning's Root Certificate, SSL Certificate, SSL Key or Passfile");
                Assert.Contains(said, process.StandardError, StringComparison.Ordinal);
                Assert.DoesNotContain("master key", process.StandardError);
                Assert.DoesNotContain("wrong-password", process.StandardOutput + process.StandardError);
            }

            // A client certificate the server does not take (signed by a CA its ssl_ca_file does not hold): with TLS 1.3 its
            // refusal comes after the handshake, on the first read (it read "cannot be reached … start it": a review); with
            // TLS 1.2, in the handshake. Said the same way.
            foreach (var protocol in new[] { "TLSv1.3", "TLSv1.2" })
            {
                await Sql.ExecuteAsync(database, $"ALTER SYSTEM SET ssl_max_protocol_version = '{protocol}'");
                await Sql.ExecuteAsync(database, "SELECT pg_reload_conf()");
                await WaitForAsync(async () => await ShowAsync(database, "ssl_max_protocol_version") == protocol, $"the server at {protocol}");
                // The alert can be lost: with TLS 1.3 a client slow to send its first message (a loaded CI host) meets the
                // server's reset on that write, before reading the alert, and is told "cannot be reached" (CI, 2026-12-06);
                // three such starts in a row happened on a host running a probe beside the suite (CI, 2026-12-07), and a
                // reset can overtake the alert in the handshake of TLS 1.2 as well (a server closing on unread bytes resets).
                // The process is started again, up to six times, for the alert to be read.
                for (var attempt = 1; ; attempt++)
                {
                    await using var process = ServiceProcess.Start(
                        Settings(WithClientKey("right-password").Replace("client.pem", "client-other.pem", StringComparison.Ordinal)), "--urls", "http://127.0.0.1:0");
                    var exit = await process.WaitForExitAsync(ExitTimeout);
                    var alertLost = process.StandardError.Contains("PostgreSQL cannot be reached", StringComparison.Ordinal);
                    if (attempt < 6 && alertLost)
                    {
                        continue;
                    }

                    if (alertLost)
                    {
                        // Six resets in a row (a CI host busy with builds beside the suite, 2026-12-07): the sentence for a lost
                        // alert must still send the operator to the client certificate, one sentence, exit code 1.
                        Assert.Equal(1, exit);
                        Assert.Contains("Or it was reached and refused this client's certificate (SSL Certificate)", process.StandardError, StringComparison.Ordinal);
                        Assert.DoesNotContain("   at ", process.StandardError, StringComparison.Ordinal);
                        break;
                    }

                    StartupProcessTests.AssertOneSentenceRefusal($"a client certificate not taken over {protocol}", exit, process,
                        "refused this client's certificate (ConnectionStrings:Provisioning): ");
                    Assert.Contains("alert unknown ca", process.StandardError, StringComparison.Ordinal);
                    break;
                }
            }

            await Sql.ExecuteAsync(database, "ALTER SYSTEM RESET ssl_max_protocol_version");
            await Sql.ExecuteAsync(database, "SELECT pg_reload_conf()");

            // The CA that signed it (and a client certificate whose key's password is right): ready, and every session the
            // service opens is encrypted, its revocation listener's too.
            await using (var process = ServiceProcess.Start(Settings(WithClientKey("right-password")), "--urls", "http://127.0.0.1:0"))
            {
                var url = await process.WaitUntilReadyAsync(StartupProcessTests.ListeningUrl, TimeSpan.FromSeconds(90));
                await WaitForAsync(async () => await Sql.CountAsync(database,
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'provisioning-revocations %'") == 1, "the listener's session");
                Assert.Equal(0, await Sql.CountAsync(database,
                    "SELECT count(*) FROM pg_stat_activity a LEFT JOIN pg_stat_ssl s USING (pid) WHERE a.application_name LIKE 'provisioning%' AND s.ssl IS NOT TRUE"));
                Assert.True(await Sql.CountAsync(database,
                    "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name LIKE 'provisioning%' AND s.ssl") >= 2);
                // Each presented the client certificate (the server let them in by it).
                Assert.Equal(0, await Sql.CountAsync(database,
                    "SELECT count(*) FROM pg_stat_activity a LEFT JOIN pg_stat_ssl s USING (pid) WHERE a.application_name LIKE 'provisioning%' " +
                    "AND (a.usename <> 'tls_client' OR s.client_dn IS DISTINCT FROM '/CN=tls_client')"));

                // The server's certificate renewed under another CA: not ready, and said as a certificate to trust, not an outage.
                await UseCertificateAsync(database, "renewed", otherAuthority, untrusted);
                await Sql.ExecuteAsync(database, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'provisioning%'");
                using var client = new HttpClient { BaseAddress = url };
                await WaitForAsync(async () => (await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable, "/readyz 503");
                // (Said once the probes meet it: the first probe after the sessions ended met its own ended, an outage, said at
                // once; a new reason that is none, 10 s after the last line.)
                await WaitForAsync(async () =>
                {
                    using var probe = await client.GetAsync("/readyz");
                    return process.StandardOutput.Contains(
                        "Not ready (/readyz answers 503): The TLS handshake with the database failed (The remote certificate was rejected", StringComparison.Ordinal);
                }, "the readiness log line", () => string.Join('\n', process.StandardOutput.Split('\n').Where(l => l.Contains("eady", StringComparison.Ordinal))));

                // Its CA added to the file: ready again at the next connection, without a restart.
                await File.WriteAllTextAsync(trusted, authority.ExportCertificatePem() + "\n" + otherAuthority.ExportCertificatePem());
                await WaitForAsync(async () => (await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "/readyz 200 again");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Makes the server speak TLS with a certificate for <c>localhost</c> and 127.0.0.1 that <paramref name="issuer"/> signs:
    /// written by the server itself (<c>COPY … TO PROGRAM</c>: files of its data directory, its own and readable only by it,
    /// as PostgreSQL wants a key), then <c>ssl</c> on and the configuration reloaded; returns once a session verified against <paramref name="issuerFile"/>
    /// is taken.
    /// </summary>
    private static async Task UseCertificateAsync(string database, string name, X509Certificate2 issuer, string issuerFile)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        using var certificate = request.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
        var data = await ShowAsync(database, "data_directory");
        await WriteServerFileAsync(database, $"{data}/{name}.crt", certificate.ExportCertificatePem());
        await WriteServerFileAsync(database, $"{data}/{name}.key", key.ExportPkcs8PrivateKeyPem());

        await Sql.ExecuteAsync(database, $"ALTER SYSTEM SET ssl_cert_file = '{data}/{name}.crt'");
        await Sql.ExecuteAsync(database, $"ALTER SYSTEM SET ssl_key_file = '{data}/{name}.key'");
        await Sql.ExecuteAsync(database, "ALTER SYSTEM SET ssl = on");
        await Sql.ExecuteAsync(database, "SELECT pg_reload_conf()");
        var signedBy = new NpgsqlConnectionStringBuilder(database) { SslMode = SslMode.VerifyFull, RootCertificate = issuerFile, Pooling = false }.ConnectionString;
        await WaitForAsync(async () =>
        {
            try
            {
                await using var connection = new NpgsqlConnection(signedBy);
                await connection.OpenAsync();
                return true;
            }
            catch (NpgsqlException)
            {
                return false; // the reload not done yet
            }
        }, $"a TLS session with the certificate '{name}'");
    }

    /// <summary>
    /// Creates <paramref name="role"/> (a superuser: it migrates), and has the server let it in over TLS by a client
    /// certificate <paramref name="issuer"/> signs and names it (<c>ssl_ca_file</c>, and a <c>cert</c> rule first in
    /// <c>pg_hba.conf</c>).
    /// </summary>
    private static async Task AskForClientCertificatesAsync(string database, string role, X509Certificate2 issuer)
    {
        var data = await ShowAsync(database, "data_directory");
        var hba = await ShowAsync(database, "hba_file");
        await Sql.ExecuteAsync(database, $"CREATE ROLE {role} LOGIN SUPERUSER");
        await WriteServerFileAsync(database, $"{data}/client-ca.crt", issuer.ExportCertificatePem());
        await Sql.ExecuteAsync(database, $"COPY (SELECT 'hostssl all {role} 127.0.0.1/32 cert') TO PROGRAM 'cat - {hba} > {hba}.new && mv {hba}.new {hba}'");
        await Sql.ExecuteAsync(database, $"ALTER SYSTEM SET ssl_ca_file = '{data}/client-ca.crt'");
        await Sql.ExecuteAsync(database, "SELECT pg_reload_conf()");
    }

    /// <summary>
    /// Writes <paramref name="pem"/> to <paramref name="path"/> on the server's side, as the server's user and readable by it
    /// alone, through a shell of the server's (<c>COPY … TO</c> a file makes it readable by all, and PostgreSQL refuses such
    /// a key).
    /// </summary>
    private static Task WriteServerFileAsync(string database, string path, string pem) =>
        Sql.ExecuteAsync(database, $"COPY (SELECT unnest(string_to_array($pem${pem}$pem$, E'\\n'))) TO PROGRAM 'umask 077 && cat > {path}'");

    private static async Task<string> ShowAsync(string database, string setting)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SHOW {setting}", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static X509Certificate2 NewAuthority(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(2)); // outlives what it signs
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, Func<string>? seen = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited 30 s for {what}. {seen?.Invoke()}");
            await Task.Delay(100);
        }
    }
}
