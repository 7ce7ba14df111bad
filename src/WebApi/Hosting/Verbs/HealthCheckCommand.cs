using System.Net.Sockets;

namespace Provisioning.WebApi.Hosting.Verbs;

/// <summary>
/// <c>Provisioning.WebApi healthcheck [url]</c>: exits 0 when <c>/readyz</c> answers 200. For container
/// health checks, so the runtime image needs no curl. A failure says why in one line on standard error (the container
/// runtime keeps it with the check's result).
/// </summary>
public static class HealthCheckCommand
{
    /// <summary>
    /// What the probe asks when given neither a URL nor a socket: the readiness URL of the instance on this host, where its
    /// settings say it listens, read as its start reads them (appsettings.json and appsettings.{environment}.json, the
    /// environment's <c>ASPNETCORE_</c>, <c>DOTNET_</c> and other variables, a settings folder): the first http address of
    /// <see cref="ListeningAddresses.Configured"/>, else the first https one, as <see cref="ThisHost.Reachable"/>; with only a
    /// Unix socket (<c>http://unix:/run/provisioning.sock</c>, behind a proxy on the same host), <c>/readyz</c> over it (it
    /// probed 127.0.0.1:8080, where nothing listened, and said only "Connection refused"). The image's health check gives no
    /// URL: with a fixed default, a container moved to another port (<c>ASPNETCORE_URLS=http://+:9000</c>) or to https failed
    /// every check while serving. (A server's own command line, <c>--urls</c>, is not seen from here: give the URL then.)
    /// <paramref name="settings"/>: a verb's own (<see cref="VerbConsole.Settings"/>).
    /// </summary>
    public static (string Url, string? UnixSocket) DefaultTarget(IReadOnlyList<string> settings)
    {
        var configuration = Program.CreateConfiguredBuilder([.. settings]).Configuration;
        var configured = ListeningAddresses.Configured(configuration);
        var addresses = configured.Select(ThisHost.Reachable).OfType<string>().ToList();
        if (addresses.Count == 0
            && configured.Select(address => (Address: address, Socket: ThisHost.UnixSocket(address))).FirstOrDefault(a => a.Socket is not null) is
                { Socket: { } socket } unix)
        {
            return (OverASocket(unix.Address.StartsWith("https:", StringComparison.OrdinalIgnoreCase) ? "https" : "http"), socket);
        }

        return ((addresses.FirstOrDefault(a => a.StartsWith("http:", StringComparison.OrdinalIgnoreCase))
                 ?? addresses.FirstOrDefault()
                 ?? Program.DefaultUrl) + "/readyz", null);
    }

    /// <summary>The readiness URL asked over a Unix socket: its host is only the request's <c>Host</c>.</summary>
    public static string OverASocket(string scheme = "http") => $"{scheme}://localhost/readyz";

    /// <summary>Probes <paramref name="url"/>, over <paramref name="unixSocket"/> when one is given (as <c>curl --unix-socket</c>).</summary>
    public static async Task<int> ProbeAsync(string url, string? unixSocket, TextWriter error)
    {
        // Said back without a user name or password it holds (a container's health check output is kept, and shown by
        // 'docker inspect': a probe of the verbs).
        var shown = Domain.Common.Text.Echo(Domain.Common.Text.PrintableUrl(url)!);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            error.WriteLine($"Provisioning: '{shown}' is not an absolute http(s) URL (e.g. http://127.0.0.1:8080/readyz).");
            return 1;
        }

        if (unixSocket is not null && UnixSocketProblem(unixSocket) is { } problem)
        {
            error.WriteLine($"Provisioning: {problem}");
            return 1;
        }

        // Straight to the URL: no proxy from the environment (HTTPS_PROXY took a probe of 127.0.0.1 to the proxy's own), and
        // no redirect followed (a 3xx is not ready; followed, it led the probe to another host, a review).
        using var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false };
        if (unixSocket is not null)
        {
            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(unixSocket), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        if (uri.IsLoopback || unixSocket is not null)
        {
            // The instance on this host, over https (Kestrel given a certificate): a certificate for the service's public name,
            // or one of its own, never matches 127.0.0.1, and the probe would fail on every healthy instance. It sends no
            // credentials and believes nothing but the status of this one answer, from this host: which certificate answers
            // does not matter here.
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }

        var probed = unixSocket is null ? shown : $"{shown} over the Unix socket {Domain.Common.Text.Echo(unixSocket)}";
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(uri);
            if (response.IsSuccessStatusCode)
            {
                return 0;
            }

            error.WriteLine($"Provisioning: {probed} answered {(int)response.StatusCode} (not ready).");
            return 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // Over a socket, the socket's own words: the request's host and port ("(localhost:80)") are not where it went.
            var why = ex is TaskCanceledException ? "no answer within 3 s"
                : unixSocket is not null && ex.GetBaseException() is SocketException refused
                    ? refused.Message + (refused.SocketErrorCode == SocketError.ConnectionRefused ? " (nothing listens on it, or it is no socket)" : string.Empty)
                : StartupChecks.Said(ex);
            error.WriteLine($"Provisioning: {probed} could not be reached: {why}.");
            return 1;
        }
    }

    /// <summary>Why <paramref name="path"/> cannot be the service's Unix socket before any connection is tried, or null.</summary>
    private static string? UnixSocketProblem(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return "--unix-socket is empty: give the path of the socket the service listens on (http://unix:<path> in its addresses).";
        }

        var shown = Domain.Common.Text.Echo(path);
        if (Directory.Exists(path))
        {
            return $"{shown} is a folder, not a Unix socket: give the socket's own path (http://unix:<path> in the service's addresses).";
        }

        return File.Exists(path)
            ? null
            : $"there is no Unix socket at {shown} (or this user cannot reach its folder): the service makes it as it starts listening " +
              $"(http://unix:{shown} in its addresses); is it running?";
    }
}
