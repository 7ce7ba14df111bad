namespace Provisioning.WebApi.Hosting;

/// <summary>Addresses the server listens on, as a client on this host reaches them.</summary>
public static class ThisHost
{
    /// <summary>
    /// <paramref name="address"/> with a wildcard host (<c>+</c>, <c>*</c>, <c>0.0.0.0</c>, <c>[::]</c>: every interface)
    /// as 127.0.0.1, and no trailing '/'.
    /// </summary>
    public static string Reachable(string address) =>
        address.Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
            .TrimEnd('/');
}
