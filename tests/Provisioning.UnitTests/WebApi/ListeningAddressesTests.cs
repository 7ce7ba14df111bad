using Microsoft.Extensions.Configuration;
using Provisioning.WebApi;
using Provisioning.WebApi.Hosting;

namespace Provisioning.UnitTests.WebApi;

/// <summary>
/// Where the server listens as its settings say, in Kestrel's order, and how a client on this host reaches it: what the
/// <c>healthcheck</c> verb probes without a URL (the container image's health check gives none).
/// </summary>
public sealed class ListeningAddressesTests
{
    public static TheoryData<string, Dictionary<string, string?>, string[]> Settings => new()
    {
        { "nothing", new(), [Program.DefaultUrl] },
        { "urls", new() { ["urls"] = "https://+:8443; http://+:9000" }, ["https://+:8443", "http://+:9000"] },
        { "endpoints over urls", new() { ["urls"] = "http://+:9000", ["Kestrel:Endpoints:Https:Url"] = "https://0.0.0.0:8443" }, ["https://0.0.0.0:8443"] },
        { "urls over endpoints when preferred", new() { ["urls"] = "http://+:9000", ["preferHostingUrls"] = "true", ["Kestrel:Endpoints:Https:Url"] = "https://0.0.0.0:8443" }, ["http://+:9000"] },
        { "urls over ports", new() { ["urls"] = "http://+:9000", ["http_ports"] = "8081" }, ["http://+:9000"] },
        { "ports", new() { ["http_ports"] = "8081;8082", ["https_ports"] = "8443" }, ["http://*:8081", "http://*:8082", "https://*:8443"] },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void TheAddressesConfigured_AreKestrelsInItsOrder(string because, Dictionary<string, string?> settings, string[] addresses)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        Assert.True(addresses.SequenceEqual(ListeningAddresses.Configured(configuration)), because);
        Assert.Equal(settings.Count == 0, ListeningAddresses.NothingSays(configuration));
    }

    [Theory]
    [InlineData("http://+:8080", "http://127.0.0.1:8080")]
    [InlineData("http://*:8080/", "http://127.0.0.1:8080")]
    [InlineData("https://0.0.0.0:8443", "https://127.0.0.1:8443")]
    [InlineData("http://[::]:8080", "http://127.0.0.1:8080")]
    [InlineData("http://[::ffff:0.0.0.0]:8080", "http://127.0.0.1:8080")]
    [InlineData("https://provisioning.example.com:8443", "https://127.0.0.1:8443")] // Kestrel listens on every interface for a name
    [InlineData("http://localhost:8080", "http://localhost:8080")]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080")]
    [InlineData("http://10.1.2.3:8080", "http://10.1.2.3:8080")] // one interface's address: only there
    [InlineData("http://[::1]:8080", "http://[::1]:8080")]
    [InlineData("http://127.0.0.1:0", null)] // a port the system chose: not known here
    [InlineData("http://unix:/run/provisioning.sock", null)]
    [InlineData("garbage", null)]
    public void AListeningAddress_IsReachedOnThisHost_WhereKestrelListens(string address, string? reached) =>
        Assert.Equal(reached, ThisHost.Reachable(address));

    [Theory]
    [InlineData("http://unix:/run/provisioning.sock", "/run/provisioning.sock")]
    [InlineData("https://unix:/tmp/p.sock", "/tmp/p.sock")]
    [InlineData("http://127.0.0.1:8080", null)]
    [InlineData("garbage", null)]
    public void AUnixSocketsAddress_NamesItsPath(string address, string? socket) => Assert.Equal(socket, ThisHost.UnixSocket(address));

    [Theory]
    [InlineData("--urls=http://unix:/run/p.sock", "http://localhost/readyz", "/run/p.sock")] // the socket alone: over it
    [InlineData("--urls=https://unix:/run/p.sock", "https://localhost/readyz", "/run/p.sock")]
    [InlineData("--urls=http://unix:/run/p.sock;http://+:9000", "http://127.0.0.1:9000/readyz", null)] // a port besides: the port
    [InlineData("--urls=http://+:9000", "http://127.0.0.1:9000/readyz", null)]
    public void TheHealthcheckVerbsDefault_IsAPortElseTheSocket(string setting, string url, string? socket) =>
        Assert.Equal((url, socket), Provisioning.WebApi.Hosting.Verbs.HealthCheckCommand.DefaultTarget([setting]));

    [Theory]
    [InlineData("urls", "http://127.0.0.1:abc")] // Kestrel listened on [::]:80, without a word (a probe)
    [InlineData("urls", "http://127.0.0.1:9000;http://+:80x")]
    [InlineData("Kestrel:Endpoints:Http:Url", "http://[::1]:abc")]
    [InlineData("urls", "http://localhost:")]
    [InlineData("http_ports", "80x")]
    public void AnAddressWhosePortIsNotANumber_IsRefused(string setting, string urls) =>
        Assert.Contains("has a port that is not a number: Kestrel would listen on port 80 of every interface.",
            Assert.Throws<StartupException>(() => ListeningAddresses.Check(Configuration(setting, urls))).Message);

    [Theory]
    [InlineData("urls", "http://127.0.0.1:8080;http://+:9000;https://*:8443")]
    [InlineData("urls", "http://[::1]:8080;http://unix:/run/p.sock")]
    [InlineData("urls", "http://::1:8080")] // IPv6 unbracketed: ::1, port 8080 (a review)
    [InlineData("urls", "http://api.example.com")] // port 80, as it says
    [InlineData("urls", "abc")] // Kestrel's own refusal, at the start
    public void AddressesKestrelReadsAsTheySay_AreLeftToIt(string setting, string urls) =>
        ListeningAddresses.Check(Configuration(setting, urls));

    private static IConfiguration Configuration(string setting, string value) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [setting] = value }).Build();
}
