using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.WebApi.Controllers;

public static class RawRouteValues
{
    /// <summary>
    /// The request path's last segment, decoded exactly once. The router decodes every escape in a route value except
    /// <c>%2F</c>, which it leaves as is (a '/' would change the route), so a value holding '/' (valid in an email address:
    /// <c>a/b@example.com</c>, sent as <c>a%2Fb%40example.com</c>, as <c>Location</c> writes it) arrives still escaped, and
    /// one holding the text <c>%2F</c> (sent as <c>%252F</c>) arrives looking the same. <paramref name="routeValue"/> is
    /// exact when it holds no '%'; otherwise the raw request target says which it was.
    /// </summary>
    public static string LastSegment(HttpContext context, string routeValue)
    {
        return routeValue.Contains('%', StringComparison.Ordinal) && RawRequestTarget.LastSegment(context) is { } sent
            ? Uri.UnescapeDataString(sent)
            : routeValue;
    }
}
