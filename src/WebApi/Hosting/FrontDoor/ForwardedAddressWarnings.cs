using Microsoft.AspNetCore.HttpOverrides;
using Provisioning.Application.Common.Logging;
using Provisioning.Infrastructure;

namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// Requests whose client address the service cannot read although a proxy forwarded one. Either way every client behind
/// that proxy is one address to the failed-attempt guard and the rate limiter, and one client's wrong secrets get the
/// others refused (a probe behind nginx with no <c>TrustedProxies</c>: 429 for everyone, and nothing in the log said why):
/// <list type="bullet">
/// <item>a forwarded address (<c>X-Forwarded-For</c>, <c>X-Real-IP</c> or <c>Forwarded</c>) from a peer that is not one of
/// <c>Provisioning:TrustedProxies</c>: most likely a proxy or load balancer the service was not told to trust (or none
/// was listed), and not believed;</item>
/// <item>from a trusted proxy, <c>X-Real-IP</c> or <c>Forwarded</c> with no <c>X-Forwarded-For</c>, the one header the
/// service reads (a proxy set up the way many nginx examples are, with <c>X-Real-IP</c> alone).</item>
/// </list>
/// Each is said at Warning at once, then at most once an hour with the count, never an address (the logs hold no client's
/// address); clients that send the headers themselves are counted too, hence the "if" — and the hour: a service reached
/// directly by clients behind a forward proxy that adds the header (Squid does) would say it for ever.
/// </summary>
public sealed class ForwardedAddressWarnings(ILogger<ForwardedAddressWarnings> logger, TimeProvider clock) : IDisposable
{
    internal const string RealIpHeader = "X-Real-IP";
    internal const string ForwardedHeader = "Forwarded";

    private readonly OnceEvery _untrusted = new(clock, TimeSpan.FromHours(1));
    private readonly OnceEvery _unread = new(clock, TimeSpan.FromHours(1));

    /// <summary>Counts the request if it carries a forwarded client address the service does not read.</summary>
    public void Note(HttpContext context, bool fromTrustedProxy)
    {
        var headers = context.Request.Headers;
        if (headers.ContainsKey(ForwardedHeadersDefaults.XForwardedForHeaderName))
        {
            if (!fromTrustedProxy)
            {
                Untrusted(ForwardedHeadersDefaults.XForwardedForHeaderName);
            }

            return;
        }

        var other = headers.ContainsKey(RealIpHeader) ? RealIpHeader : headers.ContainsKey(ForwardedHeader) ? ForwardedHeader : null;
        if (other is null)
        {
            return;
        }

        if (!fromTrustedProxy)
        {
            Untrusted(other);
        }
        else
        {
            _unread.Say((count, since) => logger.LogWarning(
                "{Count} request(s) since {Since:u} came from a proxy in {Setting} with {Header} and no X-Forwarded-For, the one header " +
                "the service reads a client's address from: every client behind the proxy counts as its one address to the " +
                "failed-attempt guard and the rate limit (one client's wrong secrets get the others refused, 429). Have the proxy " +
                "send X-Forwarded-For (nginx: proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; docs/operations.md " +
                "\"Behind a reverse proxy\")", count, since, PublicUrls.TrustedProxiesSection, other));
        }
    }

    private void Untrusted(string header) => _untrusted.Say((count, since) => logger.LogWarning(
        "{Count} request(s) since {Since:u} came with a forwarded client address ({Header} in the last) from a peer that is not " +
        "in {Setting}: it is not believed, so every client behind that peer counts as one address to the failed-attempt " +
        "guard and the rate limit (one client's wrong secrets get the others refused, 429). If the peer is your proxy or load " +
        "balancer, list its address in {Setting} (docs/operations.md \"Behind a reverse proxy\"); if not, a client sends the " +
        "header itself, and nothing needs doing", count, since, header, PublicUrls.TrustedProxiesSection, PublicUrls.TrustedProxiesSection));

    /// <summary>Says what the Warnings hold back (a restart within their hour).</summary>
    public void Dispose()
    {
        _untrusted.Dispose();
        _unread.Dispose();
    }
}
