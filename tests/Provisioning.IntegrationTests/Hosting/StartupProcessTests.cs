using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>
/// The published service started as an operator starts it (<c>dotnet Provisioning.WebApi.dll</c>, environment variables,
/// started from another folder): a healthy first start is quiet and says where it listens; what an operator can fix
/// is one sentence on standard error and exit code 1, never a stack trace.
/// </summary>
[Collection(ProcessTestCollection.Name)]
public sealed partial class StartupProcessTests(ServiceFixture service)
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AStop_SaysWhatTheLogHeldBack_AFloodOfFaultsCountedAndNotYetOnALine()
    {
        // The host was never disposed, so at a stop (a restart in the middle of an outage) what was counted for a line a minute
        // later was lost: the faults past a kind's ten lines a minute, and every other flood's count (OnceEvery).
        var database = await service.Postgres.CreateMigratedDatabaseAsync("stop_" + Guid.NewGuid().ToString("N")[..8]);
        var (proxy, viaProxy) = TcpProxy.InFrontOf(database);
        await using var _ = proxy;
        var settings = ServiceFixture.RootKeySettings(rateLimited: false).ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);
        settings["ConnectionStrings__Provisioning"] = viaProxy;
        settings["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey;
        settings["Logging__Console__FormatterName"] = "simple";
        // A blank first argument (a script's unset "$EXTRA") is skipped, as the configuration's reader skips blank ones: it
        // was taken for a mistyped verb, and the service did not start.
        await using var process = ServiceProcess.Start(settings, "", "--urls", "http://127.0.0.1:0");
        var url = await process.WaitUntilReadyAsync(ListeningUrl, TimeSpan.FromSeconds(90));
        using var client = new HttpClient { BaseAddress = url };
        client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/apps")).StatusCode);

        proxy.Cut();
        const int Failed = 40;
        for (var i = 0; i < Failed; i++)
        {
            using var response = await client.GetAsync("/v2/apps");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        await process.StopAsync();
        var output = process.StandardOutput;
        var ownLines = Regex.Matches(output, @"fail: Provisioning\.(WebApi\.Errors\.ApiExceptionHandler|Application\.Common\.Behaviors\.UnhandledExceptionBehavior)").Count;
        var counts = Regex.Matches(output, @"Request failed with 503 \([^\n]*?\) (\d+) more time\(s\) since ")
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(ownLines + counts.Sum() == Failed, $"{ownLines} own lines, {counts.Sum()} counted:\n{output}");
        // The first of a kind's rest is said at once, as one; those after it were held back for a minute, and said at the stop.
        Assert.True(counts.Any(count => count > 1), output);
    }

    [Fact]
    public async Task AHealthyFirstStart_LogsJsonWithTimestamps_NoWarningAndNoSql_AndTheRootKeyFileCarriesTheUrl_AndNothingInHome()
    {
        var database = await service.Postgres.CreateDatabaseAsync("process_" + Guid.NewGuid().ToString("N")[..8]);
        var folder = Directory.CreateTempSubdirectory("provisioning-first-start-").FullName;
        var keyFile = Path.Combine(folder, "root-key.json");
        try
        {
            await using var process = ServiceProcess.Start(new Dictionary<string, string?>
            {
                ["ConnectionStrings__Provisioning"] = database,
                ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
                ["Provisioning__Bootstrap__RootKeyFile"] = keyFile,
                // A home of its own, to see what the service leaves there (ASP.NET Core's data protection wrote a key ring).
                ["HOME"] = folder,
            }, "--urls", "http://127.0.0.1:0");
            var url = await process.WaitUntilReadyAsync(BannerUrl, TimeSpan.FromSeconds(90));

            var written = JsonNode.Parse(await File.ReadAllTextAsync(keyFile))!;
            Assert.Equal(url.ToString().TrimEnd('/'), (string?)written["url"]);
            // The console is the JSON log stream here: the key file holds the secret, the console names the key only.
            Assert.Contains($"is in {keyFile}, readable by this user only; the secret is", process.StandardOutput);
            Assert.DoesNotContain((string)written["secret"]!, process.StandardOutput + process.StandardError, StringComparison.Ordinal);
            using var client = new HttpClient { BaseAddress = url };
            client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader((string)written["keyId"]!, (string)written["secret"]!);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/apps")).StatusCode);

            // HEAD is GET without the body: the web server sends none, so a GET pipelined behind it is read right.
            var authorization = client.DefaultRequestHeaders.Authorization!.ToString();
            var exchange = await RawExchangeAsync(url,
                $"HEAD /v2/apps HTTP/1.1\r\nHost: x\r\nAuthorization: {authorization}\r\n\r\n" +
                $"GET /v2/apps HTTP/1.1\r\nHost: x\r\nAuthorization: {authorization}\r\nConnection: close\r\n\r\n");
            var headEnd = exchange.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            Assert.True(exchange.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal) && headEnd > 0, exchange);
            Assert.StartsWith("HTTP/1.1 200 ", exchange[(headEnd + 4)..]);
            Assert.Contains("\"apps\"", exchange[(headEnd + 4)..]);

            // A client that hangs up in the middle of its body (wrk stopping at the end of a round): nobody to answer and
            // nothing wrong here, so no Error line (Kestrel's "Unexpected end of request content" was logged as an
            // unhandled exception; checked with the log below).
            for (var i = 0; i < 3; i++)
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync(url.Host, url.Port);
                await tcp.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes(
                    $"POST /v2/apps HTTP/1.1\r\nHost: x\r\nAuthorization: {authorization}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"displayName\""));
                await Task.Delay(200);
            }

            await Task.Delay(500);
            await process.StopAsync();

            var logLines = process.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('{')).ToList();
            Assert.NotEmpty(logLines);
            foreach (var line in logLines)
            {
                using var json = JsonDocument.Parse(line);
                Assert.True(json.RootElement.TryGetProperty("Timestamp", out var timestamp), line);
                Assert.True(DateTimeOffset.TryParse(timestamp.GetString(), out _), line);
                Assert.True(json.RootElement.GetProperty("LogLevel").GetString() is not ("Warning" or "Error"), line);
            }

            foreach (var sql in new[] { "SELECT ", "INSERT INTO", "CREATE TABLE" })
            {
                Assert.DoesNotContain(sql, process.StandardOutput, StringComparison.OrdinalIgnoreCase);
            }

            Assert.Equal(string.Empty, process.StandardError.Trim());
            Assert.Equal([keyFile], Directory.GetFileSystemEntries(folder, "*", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task SettingsGivenAsFiles_AsAKubernetesSecretMountsThem_WinOverTheEnvironment_NotOverTheCommandLine()
    {
        // A secret volume: each file a symlink into a timestamped folder through `..data` (which the kubelet swaps on an
        // update), its value as `echo` writes it, with a line break at the end; one saved on Windows, with CR LF.
        const string keyId = "act_0123456789abcdef0123f11e";
        const string secret = "a-secret-given-as-a-file-0123456789abcdef";
        var database = await service.Postgres.CreateDatabaseAsync("files_" + Guid.NewGuid().ToString("N")[..8]);
        var folder = Directory.CreateTempSubdirectory("provisioning-settings-").FullName;
        try
        {
            var mounted = Directory.CreateDirectory(Path.Combine(folder, "..2026_12_07_03_00_00.000000001")).FullName;
            var settings = new Dictionary<string, string>
            {
                ["ConnectionStrings__Provisioning"] = database,
                ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
                ["Provisioning__Bootstrap__KeyId"] = keyId,
                ["Provisioning__Bootstrap__Secret"] = secret,
                ["Provisioning__Bootstrap__TenantName"] = "From a file",
                ["Provisioning__Secret__Typo"] = "a misspelt setting's value",
            };
            foreach (var (name, value) in settings)
            {
                await File.WriteAllTextAsync(Path.Combine(mounted, name), value + "\n");
            }

            var rootKeyFile = Path.Combine(folder, "root-key.json"); // (a path is taken as written: a CR would be in the file's name)
            await File.WriteAllTextAsync(Path.Combine(mounted, "Provisioning__Bootstrap__RootKeyFile"), rootKeyFile + "\r\n");
            Directory.CreateSymbolicLink(Path.Combine(folder, "..data"), Path.GetFileName(mounted));
            foreach (var name in settings.Keys.Append("Provisioning__Bootstrap__RootKeyFile"))
            {
                File.CreateSymbolicLink(Path.Combine(folder, name), Path.Combine("..data", name));
            }

            await using var process = ServiceProcess.Start(new Dictionary<string, string?>
            {
                ["Provisioning__SettingsFolder"] = folder,
                // The environment's own, another key: had it won, the database's first check value would be under it.
                ["Provisioning__Secrets__MasterKey"] = Convert.ToBase64String(new byte[32]),
                ["Provisioning__Bootstrap__TenantName"] = "From the environment",
            }, "--urls", "http://127.0.0.1:0", "--Provisioning:Bootstrap:TenantName=From the command line");
            var url = await process.WaitUntilReadyAsync(ListeningUrl, TimeSpan.FromSeconds(90));

            using var client = new HttpClient { BaseAddress = url };
            client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(keyId, secret);
            using var self = await client.GetAsync("/v2/tenants/self");
            Assert.Equal(HttpStatusCode.OK, self.StatusCode);
            Assert.Equal("From the command line", (string?)JsonNode.Parse(await self.Content.ReadAsStringAsync())!["tenant"]!["name"]);
            Assert.Equal(keyId, (string?)JsonNode.Parse(await File.ReadAllTextAsync(rootKeyFile))!["keyId"]);
            Assert.Contains("Provisioning:Secret:Typo is not a setting of this service", process.StandardOutput);
            // Which settings came from files, by name, at start (a secret mounted as `master.key` shows up as a name, not a setting).
            Assert.Contains($"Settings read from the files in {folder} (Provisioning:SettingsFolder): ConnectionStrings:Provisioning, " +
                            "Provisioning:Bootstrap:KeyId, Provisioning:Bootstrap:RootKeyFile, Provisioning:Bootstrap:Secret, " +
                            "Provisioning:Bootstrap:TenantName, Provisioning:Secret:Typo, Provisioning:Secrets:MasterKey", process.StandardOutput);
            Assert.DoesNotContain(settings["Provisioning__Secret__Typo"], process.StandardOutput + process.StandardError);
            await process.StopAsync();

            // The secrets are under the file's master key (the environment's, alone, does not open them), and the files reach
            // the operator verbs too.
            var verb = ServiceProcess.Start(new Dictionary<string, string?>
            {
                ["ConnectionStrings__Provisioning"] = database,
                ["Provisioning__Secrets__MasterKey"] = Convert.ToBase64String(new byte[32]),
            }, "tenants");
            await using (verb)
            {
                Assert.Equal(1, await verb.WaitForExitAsync(ExitTimeout));
                Assert.Contains("do not include every key this database's secrets are encrypted with", verb.StandardError);
            }

            verb = ServiceProcess.Start(new Dictionary<string, string?> { ["Provisioning__SettingsFolder"] = folder }, "tenants");
            await using (verb)
            {
                Assert.Equal(0, await verb.WaitForExitAsync(ExitTimeout));
                Assert.StartsWith("From the command line  [", verb.StandardOutput);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task ASettingsFolderNotReadWhole_IsOneSentence_AndNothingRuns()
    {
        var folder = Directory.CreateTempSubdirectory("provisioning-settings-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "Provisioning__Bootstrap__TenantName"), "Named\n");

            // An empty file would set its setting to nothing, over the environment's value.
            var empty = Path.Combine(folder, "Provisioning__RateLimit__PermitsPerMinute");
            await File.WriteAllTextAsync(empty, "\n");
            Assert.StartsWith($"Provisioning: Provisioning:SettingsFolder: the file Provisioning__RateLimit__PermitsPerMinute in '{folder}' is empty",
                await RefusedAsync());
            File.Delete(empty);

            // A FIFO (a folder such as /run given for /run/secrets holds them), and a link to one as a secret volume's are:
            // reading it would wait for a writer, and the start with it, saying nothing.
            var fifo = Path.Combine(folder, "Provisioning__Jwt__Issuer");
            using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!)
            {
                await mkfifo.WaitForExitAsync();
                Assert.Equal(0, mkfifo.ExitCode);
            }

            Assert.StartsWith($"Provisioning: Provisioning:SettingsFolder: the file Provisioning__Jwt__Issuer in '{folder}' is empty (or not a plain file",
                await RefusedAsync());
            var target = Directory.CreateDirectory(Path.Combine(folder, "..data")).FullName;
            File.Move(fifo, Path.Combine(target, "Provisioning__Jwt__Issuer"));
            File.CreateSymbolicLink(fifo, Path.Combine("..data", "Provisioning__Jwt__Issuer"));
            Assert.StartsWith($"Provisioning: Provisioning:SettingsFolder: the file Provisioning__Jwt__Issuer in '{folder}' is empty (or not a plain file",
                await RefusedAsync());
            File.Delete(fifo);
            Directory.Delete(target, recursive: true);

            // A file larger than any setting's value (a log in a folder given by mistake) is not read whole.
            var large = Path.Combine(folder, "server.log");
            await File.WriteAllTextAsync(large, new string('x', 64 * 1024 + 1));
            Assert.Equal($"Provisioning: Provisioning:SettingsFolder: the file server.log in '{folder}' holds 65537 bytes, more than a setting's value " +
                         $"(64 KiB at most): is '{folder}' the folder of the setting files?", await RefusedAsync());
            File.Delete(large);

            // Two files for one setting (names are read without regard to case): which one won would be the folder's order.
            const string value = "a value that is not said";
            var twin = Path.Combine(folder, "provisioning__bootstrap__tenantname");
            await File.WriteAllTextAsync(twin, value);
            var refusal = await RefusedAsync();
            Assert.Matches($"Provisioning:SettingsFolder: the files (Provisioning__Bootstrap__TenantName and provisioning__bootstrap__tenantname|" +
                           $"provisioning__bootstrap__tenantname and Provisioning__Bootstrap__TenantName) in '{Regex.Escape(folder)}' give one setting", refusal);
            Assert.DoesNotContain(value, refusal);
            File.Delete(twin);

            // A file that cannot be read (here a link to nothing: a secret removed from a volume's folder, not its link).
            var dangling = Path.Combine(folder, "Provisioning__Jwt__Lifetime");
            File.CreateSymbolicLink(dangling, Path.Combine("..data", "Provisioning__Jwt__Lifetime"));
            Assert.Equal($"Provisioning: Provisioning:SettingsFolder: a file in '{folder}' cannot be read (FileNotFoundException: Could not find file " +
                         $"'{Path.Combine(folder, "..data", "Provisioning__Jwt__Lifetime")}'.); the service's user must be able to read every file there.",
                await RefusedAsync());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        // A path no folder can have (a NUL, which only a JSON file's "\u0000" can give): not a folder, not a stack trace.
        folder = "/run/secrets\0/";
        Assert.StartsWith("Provisioning: Provisioning:SettingsFolder names '/run/secrets\0/', which is not a folder", await RefusedAsync());

        // A verb that opens the database, with only the folder: its one sentence (standard error), exit code 1, nothing else.
        // (In the tests' process, on the thread pool: the folder is read as the start reads it, and a read that hung on a FIFO
        // fails the test by its timeout.)
        async Task<string> RefusedAsync()
        {
            var (exitCode, output, error) = await Task.Run(() =>
                    InProcessVerb.RunAsync(new Dictionary<string, string?> { ["Provisioning__SettingsFolder"] = folder }, "tenants"))
                .WaitAsync(ExitTimeout);
            Assert.Equal(1, exitCode);
            Assert.Equal(string.Empty, output);
            return error.Trim();
        }
    }

    [Fact]
    public async Task OnAUnixSocketAlone_TheFirstStartsCurlLineTakesTheSocket_AndTheHealthcheckVerbProbesIt()
    {
        // Behind a proxy on the same host (nginx's proxy_pass http://unix:…): Kestrel on a Unix socket. The healthcheck verb
        // probed 127.0.0.1:8080 without a URL (and said only "Connection refused"), and could not be told a socket; the first
        // start's curl line named http://unix:/…/v2/apps, which curl cannot reach.
        var folder = Directory.CreateTempSubdirectory("provisioning-unix-").FullName;
        var socket = Path.Combine(folder, "provisioning.sock");
        try
        {
            await using var process = ServiceProcess.Start(new Dictionary<string, string?>
            {
                ["ConnectionStrings__Provisioning"] = await service.Postgres.CreateMigratedDatabaseAsync("unix_" + Guid.NewGuid().ToString("N")[..8]),
                ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
            }, "--urls", $"http://unix:{socket}");
            var deadline = DateTime.UtcNow.AddSeconds(90);
            Match curl;
            while (!(curl = UnixSocketCurlLine().Match(process.StandardOutput)).Success)
            {
                Assert.True(DateTime.UtcNow < deadline, $"No curl line.\nstdout:\n{process.StandardOutput}\nstderr:\n{process.StandardError}");
                await Task.Delay(100);
            }

            // The line as printed works: that key, over that socket.
            Assert.Equal(socket, curl.Groups["socket"].Value);
            using (var handler = new SocketsHttpHandler())
            {
                handler.ConnectCallback = async (_, ct) =>
                {
                    var unix = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                    await unix.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socket), ct);
                    return new System.Net.Sockets.NetworkStream(unix, ownsSocket: true);
                };
                using var client = new HttpClient(handler);
                client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(curl.Groups["key"].Value, curl.Groups["secret"].Value);
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("http://localhost/v2/apps")).StatusCode);
            }

            // The verb: over the socket it is given, over the one the settings name (nothing else), and where nothing listens.
            Assert.Equal(0, (await InProcessVerb.RunAsync(new Dictionary<string, string?>(), "healthcheck", "--unix-socket", socket)).ExitCode);
            var (named, _, namedError) = await InProcessVerb.RunAsync(new Dictionary<string, string?> { ["urls"] = $"http://unix:{socket}" }, "healthcheck");
            Assert.True(named == 0, namedError);
            // Where nothing listens, each said as what it is (they read "Cannot assign requested address (localhost:80)",
            // "Connection refused (localhost:80)", and .NET's ArgumentException twice: a probe of the verbs).
            var nothing = Path.Combine(folder, "nothing.sock");
            var stale = Path.Combine(folder, "stale.sock"); // a socket's file left by a server that is gone
            using (var gone = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
            {
                // Moved away before the socket closes: .NET removes the file of a socket it bound as it closes it.
                gone.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(stale + ".bound"));
                File.Move(stale + ".bound", stale);
            }

            foreach (var (path, said) in new[]
                     {
                         (nothing, $"Provisioning: there is no Unix socket at {nothing} (or this user cannot reach its folder): the service makes it"),
                         (folder, $"Provisioning: {folder} is a folder, not a Unix socket"),
                         ("", "Provisioning: --unix-socket is empty"),
                         (stale, $"Provisioning: http://localhost/readyz over the Unix socket {stale} could not be reached: Connection refused (nothing listens on it, or it is no socket)."),
                     })
            {
                var (exit, _, error) = await InProcessVerb.RunAsync(new Dictionary<string, string?>(), "healthcheck", "--unix-socket", path);
                Assert.Equal(1, exit);
                Assert.StartsWith(said, error);
                Assert.DoesNotContain("localhost:80", error);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [GeneratedRegex(@"curl --unix-socket '(?<socket>[^']+)' -u '(?<key>act_[0-9a-f]{24}):(?<secret>[^']+)' http://localhost/v2/apps")]
    private static partial Regex UnixSocketCurlLine();

    [Fact]
    public async Task ServedOverHttps_WithKestrelsEndpointSettings_ARenewedCertificateTakenWithoutARestart_AndTheHealthcheckVerbProbesIt()
    {
        // On premises without a proxy: Kestrel's own settings, a PEM certificate and its key. The container's health check
        // probes 127.0.0.1, which a certificate for the service's public name never names: it failed on every healthy
        // instance ("The SSL connection could not be established, see inner exception").
        const string keyId = "act_0123456789abcdef01234a11";
        const string secret = "served-over-https-0123456789-0123456789";
        var folder = Directory.CreateTempSubdirectory("provisioning-tls-").FullName;
        try
        {
            var (certificatePath, keyPath) = (Path.Combine(folder, "tls.crt"), Path.Combine(folder, "tls.key"));
            using var first = await WriteCertificateAsync("api.example.com", certificatePath, keyPath);
            // A port of its own, not 0: a renewal binds the endpoint anew (Kestrel's reload), which with 0 took another port.
            using var free = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            free.Start();
            var port = ((IPEndPoint)free.LocalEndpoint).Port;
            free.Stop();
            await using var process = ServiceProcess.Start(new Dictionary<string, string?>
            {
                ["ConnectionStrings__Provisioning"] = await service.Postgres.CreateDatabaseAsync("tls_" + Guid.NewGuid().ToString("N")[..8]),
                ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
                ["Provisioning__Bootstrap__KeyId"] = keyId,
                ["Provisioning__Bootstrap__Secret"] = secret,
                ["Kestrel__Endpoints__Https__Url"] = $"https://127.0.0.1:{port}",
                ["Kestrel__Endpoints__Https__Certificate__Path"] = certificatePath,
                ["Kestrel__Endpoints__Https__Certificate__KeyPath"] = keyPath,
                ["Kestrel__Endpoints__Http__Url"] = "http://127.0.0.1:0",
            });
            var (https, http) = await ListeningOverHttpsAsync(process, first.Thumbprint);

            var (created, presented) = await OverHttpsAsync(https, client =>
            {
                client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(keyId, secret);
                return client.PostAsync("/v2/apps", Http.Json(new { displayName = "over TLS" }));
            });
            using var _ = created;
            Assert.Equal(first.Thumbprint, presented);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.StartsWith(new Uri(https, "/v2/apps/").ToString(), created.Headers.Location!.ToString());

            // Straight to this host, whatever proxy the environment names (Docker passes its client's proxy settings on).
            await using (var probe = ServiceProcess.Start(new Dictionary<string, string?> { ["HTTPS_PROXY"] = "http://127.0.0.1:9", ["HTTP_PROXY"] = "http://127.0.0.1:9" },
                             "healthcheck", new Uri(https, "/readyz").ToString()))
            {
                Assert.Equal(0, await probe.WaitForExitAsync(ExitTimeout));
            }

            // Without a URL, where the container's settings say this host's instance listens (the image's health check gives
            // none): its Kestrel endpoint, or ASPNETCORE_URLS; a wildcard host, or a name (Kestrel listens on every interface
            // for one), probed as 127.0.0.1. (The choice among settings: ListeningAddressesTests.)
            foreach (var listening in new Dictionary<string, string?>[]
                     {
                         new() { ["Kestrel__Endpoints__Https__Url"] = $"https://0.0.0.0:{port}" },
                         new() { ["Kestrel__Endpoints__Https__Url"] = $"https://provisioning.example:{port}" },
                         new() { ["ASPNETCORE_URLS"] = $"https://+:{port}" },
                     })
            {
                await using var probe = ServiceProcess.Start(listening, "healthcheck");
                Assert.True(await probe.WaitForExitAsync(ExitTimeout) == 0, probe.StandardError);
            }

            // A redirect is an answer, not ready, and not followed: followed, it could lead the probe, which takes any certificate
            // on this host, to another host (here, to the healthy instance: followed, the probe would say ready).
            using (var redirecting = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
            {
                redirecting.Start();
                var answered = Task.Run(async () =>
                {
                    using var connection = await redirecting.AcceptTcpClientAsync();
                    var stream = connection.GetStream();
                    var (read, request) = (new byte[4096], new System.Text.StringBuilder());
                    for (int count; !request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && (count = await stream.ReadAsync(read)) > 0;)
                    {
                        request.Append(System.Text.Encoding.ASCII.GetString(read, 0, count));
                    }

                    await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
                        $"HTTP/1.1 302 Found\r\nLocation: {new Uri(https, "/readyz")}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
                });
                var redirect = $"http://127.0.0.1:{((IPEndPoint)redirecting.LocalEndpoint).Port}/readyz";
                await using var probe = ServiceProcess.Start(new Dictionary<string, string?>(), "healthcheck", redirect);
                Assert.Equal(1, await probe.WaitForExitAsync(ExitTimeout));
                Assert.Equal($"Provisioning: {redirect} answered 302 (not ready).", probe.StandardError.Trim());
                await answered;
            }

            // An https URL for the port that serves http: what failed, not "see inner exception".
            await using (var probe = ServiceProcess.Start(new Dictionary<string, string?>(), "healthcheck", new Uri(http, "/readyz").ToString().Replace("http:", "https:", StringComparison.Ordinal)))
            {
                Assert.Equal(1, await probe.WaitForExitAsync(ExitTimeout));
                Assert.Contains("could not be reached: The SSL connection could not be established: ", probe.StandardError);
                Assert.DoesNotContain("inner exception", probe.StandardError);
            }

            // A renewal (certbot, cert-manager) replaces the files: Kestrel watches those an endpoint names, binds the endpoint
            // anew, and new connections get the new certificate, without a restart.
            using var renewed = await WriteCertificateAsync("api.example.com", certificatePath, keyPath);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await PresentedAsync() != renewed.Thumbprint && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            Assert.Equal(renewed.Thumbprint, await PresentedAsync());

            async Task<string?> PresentedAsync()
            {
                try
                {
                    var (answer, certificate) = await OverHttpsAsync(https, client => client.GetAsync("/healthz"));
                    answer.Dispose();
                    return certificate;
                }
                catch (HttpRequestException)
                {
                    return null; // (the endpoint being bound anew)
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A new self-signed certificate for <paramref name="name"/>, written as PEM files the way a renewal does (each replaced whole).</summary>
    private static async Task<System.Security.Cryptography.X509Certificates.X509Certificate2> WriteCertificateAsync(string name, string certificatePath, string keyPath)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest($"CN={name}", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var names = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        foreach (var (path, pem) in new[] { (keyPath, key.ExportPkcs8PrivateKeyPem()), (certificatePath, certificate.ExportCertificatePem()) })
        {
            await File.WriteAllTextAsync(path + ".new", pem);
            File.Move(path + ".new", path, overwrite: true);
        }

        return certificate;
    }

    /// <summary>
    /// <paramref name="send"/> on a connection of its own to <paramref name="address"/>, taking whichever certificate the
    /// service presents, and that certificate's thumbprint.
    /// </summary>
    private static async Task<(HttpResponseMessage Answer, string? Certificate)> OverHttpsAsync(Uri address, Func<HttpClient, Task<HttpResponseMessage>> send)
    {
        string? presented = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => (presented = certificate?.Thumbprint) is not null,
        };
        using var client = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        return (await send(client), presented);
    }

    /// <summary>The https and http addresses the process listens on, once its <c>/readyz</c> answers 200 over https with this certificate.</summary>
    private static async Task<(Uri Https, Uri Http)> ListeningOverHttpsAsync(ServiceProcess process, string thumbprint)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var listening = ListeningOnPattern().Matches(process.StandardOutput).ToDictionary(m => m.Groups[2].Value, m => new Uri(m.Groups[1].Value));
            if (listening.TryGetValue("https", out var https) && listening.TryGetValue("http", out var http))
            {
                try
                {
                    var (ready, presented) = await OverHttpsAsync(https, client => client.GetAsync("/readyz"));
                    using var _ = ready;
                    if (ready.IsSuccessStatusCode && presented == thumbprint)
                    {
                        return (https, http);
                    }
                }
                catch (HttpRequestException)
                {
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Not ready over https. stdout:\n{process.StandardOutput}\nstderr:\n{process.StandardError}");
    }

    [GeneratedRegex(@"Now listening on: ((https?)://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOnPattern();

    public static TheoryData<string, Dictionary<string, string?>, string> Misconfigurations => new()
    {
        { "a settings folder that is not there", new() { ["Provisioning__SettingsFolder"] = "/nonexistent/settings" }, "Provisioning:SettingsFolder names '/nonexistent/settings', which is not a folder" },
        { "no connection string", new() { ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey }, "ConnectionStrings:Provisioning is not set" },
        { "no master key", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x" }, "Provisioning:Secrets:MasterKey is not set" },
        { "master key not base64", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = "not base64!" }, "not valid base64" },
        { "master key too short", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = "AAAA" }, "decodes to 3 bytes" },
        { "public base URL not absolute", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey, ["Provisioning__PublicBaseUrl"] = "api.example.com" }, "Provisioning:PublicBaseUrl must be an absolute http(s) URL" },
        { "trusted proxy not an address", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey, ["Provisioning__TrustedProxies__0"] = "proxy.internal" }, "'proxy.internal' is neither" },
        { "bootstrap key id of another kind", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey, ["Provisioning__Bootstrap__KeyId"] = "svc_0123456789abcdef01234567" }, "Provisioning:Bootstrap:KeyId must be 'act_' followed by 24 lowercase hex characters" },
        { "two bootstrap settings wrong (one sentence after the other)", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey, ["Provisioning__Bootstrap__KeyId"] = "act_0123", ["Provisioning__Bootstrap__Secret"] = "short" }, "(or unset, for a fresh one). Provisioning:Bootstrap:Secret must be at least" },
        { "bootstrap tenant name too long", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey, ["Provisioning__Bootstrap__TenantName"] = new string('n', 101) }, "Provisioning:Bootstrap:TenantName must be at most 100 characters" },
        { "a connection string that does not parse", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x;Bogus", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey }, "ConnectionStrings:Provisioning is not a valid PostgreSQL connection string" },
        { "a switch that is not true or false", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey, ["Provisioning__Database__MigrateOnStartup"] = "maybe" }, "Failed to convert configuration value 'maybe' at 'Provisioning:Database:MigrateOnStartup' to type 'System.Boolean': the setting takes true or false (README" },
        { "a rate limit below zero (read as off, the brute-force guard with it)", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey, ["Provisioning__RateLimit__PermitsPerMinute"] = "-5" }, "Provisioning:RateLimit:PermitsPerMinute must be 0 (no limit) or more; it is -5." },
        { "a customer's concurrent requests below zero", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey, ["Provisioning__RateLimit__ConcurrentRequestsPerCustomer"] = "-1" }, "Provisioning:RateLimit:ConcurrentRequestsPerCustomer must be 0 (no limit) to 10000; it is -1." },
        { "a public base URL with a password (every Location would carry it)", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey, ["Provisioning__PublicBaseUrl"] = "https://user:s3cretpw@api.example.com/sc" }, "Provisioning:PublicBaseUrl must not hold a user name or password" },
        { "a connection string with a misspelt keyword (told the keyword it is a slip of)", new() { ["ConnectionStrings__Provisioning"] = "Hots=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey }, "ConnectionStrings:Provisioning is not a valid PostgreSQL connection string: a keyword Npgsql does not know (did you mean Host?)" },
        { "a connection string whose unquoted password holds ';' (its rest must not be echoed)", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x;Password=abc;TopSecretPart=1", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey }, "ConnectionStrings:Provisioning is not a valid PostgreSQL connection string: a keyword" },
        { "no turns for credential lookups (every key would be refused)", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey, ["Provisioning__Credentials__ConcurrentLookups"] = "0" }, "Provisioning:Credentials:ConcurrentLookups must be between 1 and 50." },
        { "a JWT lifetime out of range (said before the database is reached)", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey, ["Provisioning__Jwt__Lifetime"] = "00:00:00" }, "Provisioning:Jwt:Lifetime must be between 1 second and 30 days, as hh:mm:ss or d.hh:mm:ss (a bare number is days" },
        { "idempotency records kept less than a day", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey, ["Provisioning__Idempotency__RetentionHours"] = "2" }, "Provisioning:Idempotency:RetentionHours must be" },
        { "a number that is not one", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Database=x", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey, ["Provisioning__RateLimit__PermitsPerMinute"] = "abc" }, "Failed to convert configuration value 'abc' at 'Provisioning:RateLimit:PermitsPerMinute' to type 'System.Int32': the setting takes a whole number, written in digits" },
        { "nothing listens at the database's address", new() { ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Port=1;Database=x;Username=postgres;Timeout=3", ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey }, "PostgreSQL cannot be reached at 127.0.0.1:1" },
    };

    [Theory]
    [MemberData(nameof(Misconfigurations))]
    public async Task AMisconfiguration_IsOneSentenceOnStandardError_AndExitCode1(string because, Dictionary<string, string?> environment, string message)
    {
        await using var process = ServiceProcess.Start(environment, "--urls", "http://127.0.0.1:0");
        var exitCode = await process.WaitForExitAsync(ExitTimeout);
        AssertOneSentenceRefusal(because, exitCode, process, message);
        foreach (var secret in new[] { "s3cretpw", "TopSecretPart" }) // what the rows above hide in a setting
        {
            Assert.DoesNotContain(secret, process.StandardOutput + process.StandardError, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task WhatTheWebServerRefusesAtTheStart_IsOneSentenceOfListening_NotAStackTraceNorTheMasterKey()
    {
        // A probe of every setting misconfigured: a certificate file not there or a listening address Kestrel cannot read
        // ended in a stack trace (exit 134); a certificate file that is not one was told as a secret the master key cannot
        // decrypt; an address no interface has as PostgreSQL unreachable.
        var folder = Directory.CreateTempSubdirectory("provisioning-listen-").FullName;
        try
        {
            var garbage = Path.Combine(folder, "tls.crt");
            await File.WriteAllTextAsync(garbage, "not a certificate");
            var database = await service.Postgres.CreateMigratedDatabaseAsync("listen_" + Guid.NewGuid().ToString("N")[..8]);
            foreach (var (because, endpoint, said) in new (string, Dictionary<string, string?>, string)[]
                     {
                         ("a certificate file not there", new() { ["Kestrel__Endpoints__Https__Url"] = "https://127.0.0.1:0", ["Kestrel__Endpoints__Https__Certificate__Path"] = Path.Combine(folder, "missing.crt") }, $"Could not find file '{Path.Combine(folder, "missing.crt")}'."),
                         ("a certificate file that is not one", new() { ["Kestrel__Endpoints__Https__Url"] = "https://127.0.0.1:0", ["Kestrel__Endpoints__Https__Certificate__Path"] = garbage }, "Kestrel:Certificates): ASN1 corrupted data."),
                         ("an address Kestrel cannot read", new() { ["Kestrel__Endpoints__Http__Url"] = "abc" }, "Invalid url: 'abc'."),
                     })
            {
                endpoint["ConnectionStrings__Provisioning"] = database;
                endpoint["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey;
                await using var process = ServiceProcess.Start(endpoint);
                // Standard error: the sentence alone (the host's own "Hosting failed to start" line, with its exception, goes
                // to the structured log on standard output, as for a port in use).
                var exitCode = await process.WaitForExitAsync(ExitTimeout);
                var stderr = process.StandardError.Trim();
                Assert.True(exitCode == 1, $"{because}: exit code {exitCode}; stderr: {stderr}");
                Assert.StartsWith("Provisioning cannot start: Cannot listen as the settings say (--urls or ASPNETCORE_URLS, Kestrel:Endpoints, Kestrel:Certificates): ", stderr);
                Assert.Contains(said, stderr);
                Assert.DoesNotContain("\n", stderr);
                Assert.DoesNotContain("Exception", stderr);
                Assert.DoesNotContain("master key", stderr, StringComparison.OrdinalIgnoreCase);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task PendingMigrationsWithMigrationOff_AShortBootstrapSecret_AndAForeignMasterKey_AreRefusedWithWhatToDo()
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = await service.Postgres.CreateDatabaseAsync("process_" + Guid.NewGuid().ToString("N")[..8]),
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
            ["Provisioning__Database__MigrateOnStartup"] = "false",
        };
        await using (var process = ServiceProcess.Start(environment, "--urls", "http://127.0.0.1:0"))
        {
            AssertOneSentenceRefusal("pending migrations", await process.WaitForExitAsync(ExitTimeout), process, "migrate");
        }

        environment["Provisioning__Database__MigrateOnStartup"] = "true";
        environment["Provisioning__Bootstrap__KeyId"] = "act_0123456789abcdef01234567";
        environment["Provisioning__Bootstrap__Secret"] = "too-short-secret";
        await using (var process = ServiceProcess.Start(environment, "--urls", "http://127.0.0.1:0"))
        {
            AssertOneSentenceRefusal("short bootstrap secret", await process.WaitForExitAsync(ExitTimeout), process, "at least 32 characters");
        }

        // A first start records a check value made with this master key; another key is then refused before serving.
        environment.Remove("Provisioning__Bootstrap__KeyId");
        environment.Remove("Provisioning__Bootstrap__Secret");
        await using (var process = ServiceProcess.Start(environment, "--urls", "http://127.0.0.1:0"))
        {
            await process.WaitUntilReadyAsync(BannerUrl, TimeSpan.FromSeconds(90));
        }

        environment["Provisioning__Secrets__MasterKey"] = Convert.ToBase64String(new byte[32]);
        await using (var process = ServiceProcess.Start(environment, "--urls", "http://127.0.0.1:0"))
        {
            AssertOneSentenceRefusal("foreign master key", await process.WaitForExitAsync(ExitTimeout), process,
                "do not include every key this database's secrets are encrypted with");
        }
    }

    [Fact]
    public async Task TheStart_SaysItsInstanceId_AndTheNameItsSessionsCarry_AnOperatorsPgAppNameToo()
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = service.ConnectionString,
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
            ["PGAPPNAME"] = "night-shift", // (Npgsql names the sessions so when the connection string does not)
        };
        await using var process = ServiceProcess.Start(environment, "--urls", "http://127.0.0.1:0");
        await process.WaitUntilReadyAsync(ListeningUrl, TimeSpan.FromSeconds(90));
        Assert.Matches("This is instance [0-9a-f]{16}: its PostgreSQL sessions are named", process.StandardOutput);
        // Which build each instance runs (a rolling upgrade has two), in the same line: the JSON console's state carries it whole.
        var line = process.StandardOutput.Split('\n').Single(l => l.Contains("This is instance"));
        using var json = JsonDocument.Parse(line);
        Assert.Equal(Provisioning.WebApi.Hosting.BuildVersion.Description, json.RootElement.GetProperty("State").GetProperty("Build").GetString());
        Assert.Contains("\"ApplicationName\":\"night-shift\"", process.StandardOutput); // (the JSON console's message escapes the quotes)
    }

    [Theory]
    // The project's own budget (System.GC.Gen0MaxBudget), whatever the host's L3 cache would make it; an operator's variable wins.
    [InlineData(null, 24)]
    [InlineData("1000000", 16)]
    public async Task TheStart_SaysTheGarbageCollectorsGen0Budget_TheProjectsUnlessAnOperatorSetsIt(string? variable, int mebibytes)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = service.ConnectionString,
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        };
        if (variable is not null)
        {
            environment["DOTNET_GCGen0MaxBudget"] = variable; // (hexadecimal, as every DOTNET_GC* number)
        }

        await using var process = ServiceProcess.Start(environment, "--urls", "http://127.0.0.1:0");
        await process.WaitUntilReadyAsync(ListeningUrl, TimeSpan.FromSeconds(90));
        var line = process.StandardOutput.Split('\n').Single(l => l.Contains("Garbage collection:"));
        using var json = JsonDocument.Parse(line);
        var state = json.RootElement.GetProperty("State");
        Assert.Equal("workstation", state.GetProperty("Collector").GetString());
        Assert.Equal("concurrent", state.GetProperty("Concurrency").GetString());
        Assert.Equal($"{mebibytes} MiB", state.GetProperty("Gen0Budget").GetString());
    }

    [Fact]
    public async Task APortInUse_IsSaidToBeThePort_NotTheDatabase()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = await service.Postgres.CreateDatabaseAsync("process_" + Guid.NewGuid().ToString("N")[..8]),
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        };
        await using var process = ServiceProcess.Start(environment, "--urls", $"http://127.0.0.1:{port}");
        // Standard error: one sentence naming the port (it said "PostgreSQL cannot be reached" before). The host's own
        // "Hosting failed to start" log line, with its exception, still goes to the structured log on standard output.
        var exitCode = await process.WaitForExitAsync(ExitTimeout);
        var stderr = process.StandardError.Trim();
        Assert.True(exitCode == 1, $"exit code {exitCode}; stderr: {stderr}");
        Assert.Equal($"Provisioning cannot start: Cannot listen: Failed to bind to address http://127.0.0.1:{port}: address already in use (choose another address with --urls).", stderr);

        // The database was prepared first, and on a first start that made the root and its key: printed all the same (it
        // was lost — the next start says only that the root exists — when no root key file was set; a probe).
        var keyId = Regex.Match(process.StandardOutput, @"keyId:\s+(act_[0-9a-f]{24})").Groups[1].Value;
        var secret = Regex.Match(process.StandardOutput, @"secret:\s+(\S+)").Groups[1].Value;
        Assert.True(keyId.Length > 0 && secret.Length > 0, process.StandardOutput);
        await using var next = ServiceProcess.Start(environment, "--urls", "http://127.0.0.1:0");
        var url = await next.WaitUntilReadyAsync(ListeningUrl, TimeSpan.FromSeconds(90));
        using var client = new HttpClient { BaseAddress = url };
        client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(keyId, secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/apps")).StatusCode);
        Assert.DoesNotContain(secret, next.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutUrls_ItListensOnTheDefaultTheReadmeAndTheHealthcheckVerbName()
    {
        // Published and started without --urls it listened on ASP.NET Core's localhost:5000, where nothing looks (README,
        // the healthcheck verb's default and the root key file's URL say http://127.0.0.1:8080; a review). Seen through the
        // port held here: the start names it. (Held by someone else already: the same refusal.)
        using var held = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 8080);
        try
        {
            held.Start();
        }
        catch (System.Net.Sockets.SocketException)
        {
            // Another process has it, and could let it go while the service starts (which would then run, not exit): the
            // check needs the port held here. Not this host's case in CI (a fresh machine).
            return;
        }

        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = await service.Postgres.CreateDatabaseAsync("process_" + Guid.NewGuid().ToString("N")[..8]),
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        };
        await using var process = ServiceProcess.Start(environment);
        var exitCode = await process.WaitForExitAsync(ExitTimeout);
        Assert.True(exitCode == 1, $"exit code {exitCode}; stderr: {process.StandardError}");
        Assert.Contains($"Failed to bind to address {Program.DefaultUrl}: address already in use", process.StandardError);
    }

    [Fact]
    public async Task ARootKeyFileThatCannotBeWritten_IsAWarning_AndTheKeyIsPrinted_NotACrash()
    {
        // A folder that is a file: no user, root included, can write there (a read-only disk or a folder of another user
        // did the same: an unhandled IOException, exit 134, and the key, already made, lost).
        var blocker = Path.GetTempFileName();
        try
        {
            var environment = new Dictionary<string, string?>
            {
                ["ConnectionStrings__Provisioning"] = await service.Postgres.CreateDatabaseAsync("process_" + Guid.NewGuid().ToString("N")[..8]),
                ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
                ["Provisioning__Bootstrap__RootKeyFile"] = Path.Combine(blocker, "root-key.json"),
            };
            await using var process = ServiceProcess.Start(environment, "--urls", "http://127.0.0.1:0");
            await process.WaitUntilReadyAsync(BannerUrl, TimeSpan.FromSeconds(90));
            Assert.Contains("RootKeyFile", process.StandardOutput);
            Assert.Matches(@"secret:\s+\S+", process.StandardOutput);
            Assert.DoesNotContain("also written to", process.StandardOutput);

            // A later start (the file still cannot be written): the URL is not recorded, the server runs.
            await process.StopAsync();
            await using var again = ServiceProcess.Start(environment, "--urls", "http://127.0.0.1:0");
            using var client = new HttpClient { BaseAddress = await again.WaitUntilReadyAsync(ListeningUrl, TimeSpan.FromSeconds(90)) };
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    internal static void AssertOneSentenceRefusal(string because, int exitCode, ServiceProcess process, string message)
    {
        var stderr = process.StandardError.Trim();
        Assert.True(exitCode == 1, $"{because}: exit code {exitCode}; stderr: {stderr}; stdout: {process.StandardOutput}");
        Assert.StartsWith("Provisioning cannot start: ", stderr);
        Assert.Contains(message, stderr);
        Assert.DoesNotContain("\n", stderr);
        Assert.DoesNotContain("   at ", process.StandardOutput + stderr);
        Assert.DoesNotContain("Exception", stderr);
    }

    /// <summary>Sends <paramref name="request"/> as it is on one connection and reads until the server closes it.</summary>
    private static async Task<string> RawExchangeAsync(Uri url, string request)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(url.Host, url.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await reader.ReadToEndAsync(timeout.Token);
    }

    private static Uri? BannerUrl(string stdout) =>
        BannerUrlPattern().Match(stdout) is { Success: true } match ? new Uri(match.Groups[1].Value) : null;

    [GeneratedRegex(@"url:\s+(http://127\.0\.0\.1:\d+)")]
    private static partial Regex BannerUrlPattern();

    /// <summary>Where a start that prints no banner listens (the host's "Now listening on" line).</summary>
    internal static Uri? ListeningUrl(string stdout) =>
        ListeningPattern().Match(stdout) is { Success: true } match ? new Uri(match.Groups[1].Value) : null;

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningPattern();
}
