namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// A request's path as the logs (<see cref="RequestLogScope"/>) and traces (<see cref="Observability"/>) carry it: a segment
/// holding an email address — a tenant user's, in <c>/v2/tenants/{tenantId}/users/{email}</c> — as <see cref="Placeholder"/>.
/// Log collectors and trace stores keep what they are sent for as long as they keep it, beyond the service's retention
/// and its erasure of an address (docs/operations.md "Personal data"); the route and the rest of the path stay.
/// </summary>
public static class PathsWithoutAddresses
{
    public const string Placeholder = "{email}";

    /// <summary>
    /// The path with every segment that holds an '@' (decoded: a client's <c>%40</c> too), or a <c>%40</c> still (sent
    /// encoded twice, decoded once), replaced by <see cref="Placeholder"/>.
    /// </summary>
    public static string Of(string path)
    {
        if (!HoldsAnAddress(path))
        {
            return path; // every other request: no allocation
        }

        var segments = path.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (HoldsAnAddress(segments[i]))
            {
                segments[i] = Placeholder;
            }
        }

        return string.Join('/', segments);
    }

    private static bool HoldsAnAddress(string text) =>
        text.Contains('@', StringComparison.Ordinal) || text.Contains("%40", StringComparison.OrdinalIgnoreCase);
}
