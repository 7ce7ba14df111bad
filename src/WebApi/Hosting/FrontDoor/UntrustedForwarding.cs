using Microsoft.AspNetCore.HttpOverrides;
using Provisioning.Infrastructure;

namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// Requests that carry <c>X-Forwarded-For</c> from a peer that is not one of <c>Provisioning:TrustedProxies</c>: most
/// likely a proxy or load balancer the service was not told to trust (or none was listed). Its forwarded address is not
/// believed, so every client behind it is one address to the failed-attempt guard and the rate limiter, and one client's
/// wrong secrets get the others refused (a probe behind nginx with no <c>TrustedProxies</c>: 429 for everyone, and nothing
/// in the log said why). Said at Warning at once, then at most once an hour with the count, never the address (the logs
/// hold no client's address); clients that send the header themselves are counted too, hence the "if" — and the hour: a
/// service reached directly by clients behind a forward proxy that adds the header (Squid does) would say it for ever.
/// </summary>
public sealed class UntrustedForwarding(ILogger<UntrustedForwarding> logger, TimeProvider clock)
{
    private readonly OnceEvery _seen = new(clock, TimeSpan.FromHours(1));

    /// <summary>Counts the request if it carries <c>X-Forwarded-For</c> and did not come from a trusted proxy.</summary>
    public void Note(HttpContext context, bool fromTrustedProxy)
    {
        if (fromTrustedProxy || !context.Request.Headers.ContainsKey(ForwardedHeadersDefaults.XForwardedForHeaderName) || !_seen.Count(out var count, out var since))
        {
            return;
        }

        logger.LogWarning(
            "{Count} request(s) since {Since:u} came with X-Forwarded-For from a peer that is not in {Setting}: the client address it " +
            "forwards is not believed, so every client behind that peer counts as one address to the failed-attempt guard and the " +
            "rate limit (one client's wrong secrets get the others refused, 429). If the peer is your proxy or load balancer, list " +
            "its address in {Setting} (docs/operations.md \"Behind a reverse proxy\"); if not, a client sends the header itself, " +
            "and nothing needs doing", count, since, PublicUrls.TrustedProxiesSection, PublicUrls.TrustedProxiesSection);
    }
}
