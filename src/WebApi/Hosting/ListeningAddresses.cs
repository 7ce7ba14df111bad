using Microsoft.AspNetCore.Hosting;

namespace Provisioning.WebApi.Hosting;

/// <summary>Where the server listens as its settings say (the server's start, and the <c>healthcheck</c> verb that probes it).</summary>
public static class ListeningAddresses
{
    /// <summary>True when no setting says where to listen: the server then listens on <see cref="Program.DefaultUrl"/>.</summary>
    public static bool NothingSays(IConfiguration configuration) =>
        string.IsNullOrEmpty(configuration[WebHostDefaults.ServerUrlsKey])
        && string.IsNullOrEmpty(configuration[WebHostDefaults.HttpPortsKey])
        && string.IsNullOrEmpty(configuration[WebHostDefaults.HttpsPortsKey])
        && !configuration.GetSection("Kestrel:Endpoints").Exists();

    /// <summary>
    /// The addresses the settings give, in the order Kestrel takes them: its endpoints' (<c>Kestrel:Endpoints:&lt;name&gt;:Url</c>,
    /// by name), unless <c>preferHostingUrls</c> and <c>urls</c> are set; else <c>urls</c>; else the http and https ports
    /// (<c>http_ports</c>, <c>https_ports</c>); else <see cref="Program.DefaultUrl"/>.
    /// </summary>
    public static IReadOnlyList<string> Configured(IConfiguration configuration)
    {
        var urls = Split(configuration[WebHostDefaults.ServerUrlsKey]);
        var endpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(endpoint => endpoint["Url"]).OfType<string>().ToList();
        var preferUrls = bool.TryParse(configuration[WebHostDefaults.PreferHostingUrlsKey], out var prefer) && prefer && urls.Count > 0;
        if (endpoints.Count > 0 && !preferUrls)
        {
            return endpoints;
        }

        if (urls.Count > 0)
        {
            return urls;
        }

        var ports = Split(configuration[WebHostDefaults.HttpPortsKey]).Select(port => $"http://*:{port}")
            .Concat(Split(configuration[WebHostDefaults.HttpsPortsKey]).Select(port => $"https://*:{port}")).ToList();
        return ports.Count > 0 ? ports : [Program.DefaultUrl];
    }

    /// <summary>
    /// Refuses an address whose port is not a number (<c>http://127.0.0.1:abc</c>, <c>http://+:80x</c>): Kestrel reads
    /// the whole as a host name and listens on port 80 of every interface, without a word (a probe). Anything else it cannot
    /// use it refuses itself as it starts (<see cref="StartupChecks"/>).
    /// </summary>
    public static void Check(IConfiguration configuration)
    {
        foreach (var address in Configured(configuration))
        {
            BindingAddress parsed;
            try
            {
                parsed = BindingAddress.Parse(address);
            }
            catch (FormatException)
            {
                continue; // (Kestrel's "Invalid url", said at the start)
            }

            // (An IPv6 address, bracketed or not, holds colons of its own: http://::1:8080 is ::1, port 8080.)
            if (!parsed.IsUnixPipe && !parsed.IsNamedPipe && parsed.Host.Contains(':', StringComparison.Ordinal)
                && !System.Net.IPAddress.TryParse(parsed.Host.Trim('[', ']'), out _))
            {
                throw new StartupException($"The listening address '{address}' (--urls, ASPNETCORE_URLS, Kestrel:Endpoints or HTTP_PORTS) has a " +
                                           "port that is not a number: Kestrel would listen on port 80 of every interface.");
            }
        }
    }

    private static List<string> Split(string? value) =>
        (value ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
