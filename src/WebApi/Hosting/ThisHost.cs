using System.Net;

namespace Provisioning.WebApi.Hosting;

/// <summary>Addresses the server listens on, as a client on this host reaches them.</summary>
public static class ThisHost
{
    /// <summary>
    /// <paramref name="address"/> (a listening address: <c>http://+:8080</c>, <c>https://[::]:8443</c>) as a client on this
    /// host reaches it, without a trailing '/': a wildcard (<c>+</c>, <c>*</c>, <c>0.0.0.0</c>, <c>[::]</c>) or a host name
    /// other than <c>localhost</c> — where Kestrel listens on every interface — as 127.0.0.1; <c>localhost</c> and an
    /// address of one interface as they are. Null for what a URL cannot reach (a Unix socket, a named pipe), port 0 (a
    /// port the system chose) and what does not parse.
    /// </summary>
    public static string? Reachable(string address)
    {
        BindingAddress parsed;
        try
        {
            parsed = BindingAddress.Parse(address);
        }
        catch (FormatException)
        {
            return null;
        }

        if (parsed.IsUnixPipe || parsed.IsNamedPipe || parsed.Port == 0)
        {
            return null;
        }

        var host = parsed.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                   || (IPAddress.TryParse(parsed.Host.Trim('[', ']'), out var ip) && !IsAny(ip))
            ? parsed.Host
            : "127.0.0.1";
        return $"{parsed.Scheme}://{host}:{parsed.Port}{parsed.PathBase}".TrimEnd('/');
    }

    /// <summary>The socket's path when <paramref name="address"/> is a Unix socket's (<c>http://unix:/run/provisioning.sock</c>), else null.</summary>
    public static string? UnixSocket(string address)
    {
        try
        {
            var parsed = BindingAddress.Parse(address);
            return parsed.IsUnixPipe ? parsed.UnixPipePath : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static bool IsAny(IPAddress ip) =>
        ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any) || (ip.IsIPv4MappedToIPv6 && ip.MapToIPv4().Equals(IPAddress.Any));
}
