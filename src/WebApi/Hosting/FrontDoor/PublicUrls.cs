using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// Where clients reach the service, and whose forwarded headers are believed. Every absolute URL the service
/// writes (paging links, <c>Location</c>, the OpenAPI <c>servers</c> entry) comes from <see cref="BaseUrl"/>:
/// <list type="number">
/// <item><c>Provisioning:PublicBaseUrl</c> when set;</item>
/// <item>else, for a request that came through one of <c>Provisioning:TrustedProxies</c>, the scheme and host the
/// proxy forwarded (<c>X-Forwarded-Proto</c>/<c>X-Forwarded-Host</c>, else the proxy's <c>Host</c>);</item>
/// <item>else the scheme and the local address and port the client connected to. A client's own <c>Host</c> or
/// <c>X-Forwarded-*</c> header never reaches a URL.</item>
/// </list>
/// </summary>
public sealed class PublicUrls
{
    public const string BaseUrlSetting = "Provisioning:PublicBaseUrl";
    public const string TrustedProxiesSection = "Provisioning:TrustedProxies";
    private const string ViaTrustedProxyItem = "provisioning.via-trusted-proxy";

    private readonly string? _publicBaseUrl;
    private readonly List<IPAddress> _proxies = [];
    private readonly List<System.Net.IPNetwork> _networks = [];

    public PublicUrls(IConfiguration configuration)
    {
        var configured = configuration[BaseUrlSetting];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (!Uri.TryCreate(configured.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
                || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            {
                // Neither a password (printed whole when refused for a query: a probe) nor the query or fragment, which may hold a token.
                var shown = uri is { Scheme: "http" or "https" }
                    ? Domain.Common.Text.PrintableUrl(uri.GetLeftPart(UriPartial.Path)) + (uri.Query.Length > 0 ? "?…" : "") + (uri.Fragment.Length > 0 ? "#…" : "")
                    : Domain.Common.Text.PrintableUrl(configured);
                throw new StartupException(
                    $"{BaseUrlSetting} must be an absolute http(s) URL without query or fragment, such as https://api.example.com/sc; it is '{shown}'.");
            }

            // Not echoed: it holds a password. Every answer's Location and paging links would carry it.
            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                throw new StartupException($"{BaseUrlSetting} must not hold a user name or password: every Location and paging link carries it.");
            }

            _publicBaseUrl = uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        }

        foreach (var entry in Infrastructure.ListSetting.Entries(configuration, TrustedProxiesSection).Select(c => c.Value!.Trim()))
        {
            if (entry.Contains('/') && System.Net.IPNetwork.TryParse(entry, out var network))
            {
                _networks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                _proxies.Add(address);
            }
            else
            {
                throw new StartupException(
                    $"{TrustedProxiesSection} entries must be IP addresses or CIDR ranges (such as 10.0.0.5 or 10.0.0.0/8); '{entry}' is neither.");
            }
        }
    }

    /// <summary>
    /// True when proxies are configured. Without any, the forwarded-headers middleware must not run at all: with empty
    /// lists it would believe every sender.
    /// </summary>
    public bool HasTrustedProxies => _proxies.Count + _networks.Count > 0;

    /// <summary>The configured public base URL (no trailing slash), or null.</summary>
    public string? ConfiguredBaseUrl => _publicBaseUrl;

    /// <summary>Forwarded headers are believed from the configured proxies only (loopback included only when listed).</summary>
    public void Configure(ForwardedHeadersOptions options)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
        options.ForwardLimit = null;
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        _proxies.ForEach(options.KnownProxies.Add);
        _networks.ForEach(options.KnownIPNetworks.Add);
    }

    /// <summary>
    /// Runs before the forwarded-headers middleware: notes whether the direct peer is a trusted proxy, and says so (false
    /// when none is configured).
    /// </summary>
    public bool NotePeer(HttpContext context)
    {
        if (!HasTrustedProxies || context.Connection.RemoteIpAddress is not { } peer)
        {
            return false;
        }

        if (peer.IsIPv4MappedToIPv6)
        {
            peer = peer.MapToIPv4();
        }

        if (_proxies.Any(p => p.Equals(peer)) || _networks.Any(n => n.Contains(peer)))
        {
            context.Items[ViaTrustedProxyItem] = true;
            return true;
        }

        return false;
    }

    /// <summary>The base URL clients use for this request, without a trailing slash.</summary>
    public string BaseUrl(HttpContext context)
    {
        if (_publicBaseUrl is not null)
        {
            return _publicBaseUrl;
        }

        var request = context.Request;
        if (context.Items.ContainsKey(ViaTrustedProxyItem) || context.Connection.LocalIpAddress is null)
        {
            return $"{request.Scheme}://{request.Host}{request.PathBase}";
        }

        var local = context.Connection.LocalIpAddress;
        if (local.IsIPv4MappedToIPv6)
        {
            local = local.MapToIPv4();
        }

        return $"{request.Scheme}://{new IPEndPoint(local, context.Connection.LocalPort)}{request.PathBase}";
    }

    /// <summary>An absolute URL for a path below the base, e.g. <c>v2/apps/123</c>.</summary>
    public string Absolute(HttpContext context, string relativePath) => $"{BaseUrl(context)}/{relativePath.TrimStart('/')}";
}
