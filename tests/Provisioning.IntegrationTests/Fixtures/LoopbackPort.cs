using System.Net;
using System.Net.Sockets;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>A loopback port free when asked (another process may take it before it is bound: callers retry or check).</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
