using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Provisioning.IntegrationTests.Fixtures;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.IntegrationTests.FrontDoor;

/// <summary>
/// The connections the server holds at once (a noisy-neighbour probe held ~20,000 idle ones and the process exited, for
/// every tenant): bounded by default, past the bound closed as they come, and said once a minute, not once per connection.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class ConnectionLimitTests(ServiceFixture service)
{
    [Fact]
    public async Task ByDefault_TheServerHoldsAtMostItsOpenFilesLimitLessAReserve()
    {
        await using var factory = new ConfiguredServiceFactory(service.ConnectionString, ServiceFixture.RootKeySettings());
        factory.UseKestrel(0);
        factory.StartServer();
        var limit = factory.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxConcurrentConnections;
        Assert.Equal(ConnectionLimit.For(ConnectionLimit.ThisProcessesOpenFilesLimit()), limit);
    }

    [Fact]
    public async Task PastTheLimit_ConnectionsAreClosedAsTheyCome_SaidOnceAMinute_AndTheHeldOnesServe()
    {
        var logs = new CollectingLoggerProvider();
        var settings = ServiceFixture.RootKeySettings();
        settings["Kestrel:Limits:MaxConcurrentConnections"] = "2"; // a setting of the operator's wins over the default
        await using var factory = new ConfiguredServiceFactory(service.ConnectionString, settings, services: s => s.AddSingleton<ILoggerProvider>(logs));
        factory.UseKestrel(0);
        factory.StartServer();
        Assert.Equal(2, factory.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxConcurrentConnections);
        var address = new Uri(factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()
            .Replace("[::]", "127.0.0.1", StringComparison.Ordinal));

        // Two connections take the two places (each answered once, so the server has taken it before the next comes); the
        // ones after them are closed unanswered.
        using var first = await AnsweredConnectionAsync(address);
        using var second = await AnsweredConnectionAsync(address);
        for (var i = 0; i < 3; i++)
        {
            using var past = new TcpClient();
            await past.ConnectAsync(address.Host, address.Port);
            var stream = past.GetStream();
            await stream.WriteAsync("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var buffer = new byte[256];
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                read = 0; // reset rather than closed: refused all the same
            }

            Assert.Equal(0, read);
        }

        // A held connection is still served.
        await HealthzAsync(first);

        // One line for the first refusal (the others are held back for a minute), none of Kestrel's own per connection.
        Assert.Single(logs.Lines, l => l.Contains("connection(s) closed as they came", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains("the service held 2 at once", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("maximum number of concurrent connections", StringComparison.Ordinal));
    }

    private static async Task<TcpClient> AnsweredConnectionAsync(Uri address)
    {
        var client = new TcpClient();
        await client.ConnectAsync(address.Host, address.Port);
        await HealthzAsync(client);
        return client;
    }

    /// <summary>Asks <c>/healthz</c> on the connection and reads its answer whole (chunked, or of a length it says).</summary>
    private static async Task HealthzAsync(TcpClient client)
    {
        var stream = client.GetStream();
        await stream.WriteAsync("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = new System.Text.StringBuilder();
        var buffer = new byte[1024];
        static bool Whole(string text) => text.Contains("\r\n\r\n", StringComparison.Ordinal)
            && (text.EndsWith("0\r\n\r\n", StringComparison.Ordinal) || text.EndsWith("Healthy", StringComparison.Ordinal) && !text.Contains("chunked", StringComparison.Ordinal));
        while (!Whole(answer.ToString()))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, $"the connection closed after: {answer}");
            answer.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        }

        Assert.StartsWith("HTTP/1.1 200 ", answer.ToString());
    }
}
