using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Credentials;

/// <summary>
/// Two instances on one database, PostgreSQL restarted between them (a TCP proxy drops every connection, the
/// revocation listeners' included, and lets them back): a key deleted through one instance right after the database
/// came back must not keep working on the other, which had it cached; nor may a key removed by a cascade.
/// </summary>
[Collection(ProcessTestCollection.Name)]
public sealed class RevocationAcrossRestartTests(ServiceFixture service)
{
    private sealed record Instance(ConfiguredServiceFactory Factory) : IAsyncDisposable
    {
        public HttpClient As(string keyId, string secret)
        {
            var client = Factory.CreateClient();
            client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(keyId, secret);
            return client;
        }

        public ValueTask DisposeAsync() => Factory.DisposeAsync();
    }

    private static Instance Start(string connectionString, CollectingLoggerProvider? logs = null) => new(new ConfiguredServiceFactory(
        connectionString, ServiceFixture.RootKeySettings(rateLimited: false),
        services: logs is null ? null : s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs)));

    /// <summary>Sends until the answer is not 503 (connections cut by the restart fail once each); returns it.</summary>
    private static async Task<HttpStatusCode> SendPastRestartAsync(Func<Task<HttpResponseMessage>> send, List<HttpStatusCode>? seen = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await send();
            seen?.Add(response.StatusCode);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > deadline)
            {
                return response.StatusCode;
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task AKeyDeletedRightAfterARestart_StopsOnTheOtherInstanceAtOnce_AndSoDoCascadedKeys()
    {
        var database = await service.Postgres.CreateMigratedDatabaseAsync("restart_" + Guid.NewGuid().ToString("N")[..8]);
        var (proxy, viaProxy) = TcpProxy.InFrontOf(database);
        await using var _ = proxy;
        await using var one = Start(viaProxy);
        var logsOfTwo = new CollectingLoggerProvider();
        await using var two = Start(viaProxy, logsOfTwo);
        using var rootOnOne = one.As(ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        using var rootOnTwo = two.As(ServiceFixture.RootKeyId, ServiceFixture.RootSecret);

        // A service-account key, and a child tenant whose token will go with the tenant (a cascade).
        var sa = await rootOnOne.CreateServiceAccountAsync();
        var child = await rootOnOne.ProvisionAsync(name: "Cascaded");
        using var keyOnTwo = two.As(sa.Key.Id, sa.Key.Secret);
        using var tokenOnTwo = two.Factory.CreateClient();
        tokenOnTwo.DefaultRequestHeaders.Authorization = new("Bearer", child.Token);

        // Both used on instance two until it answers from its cache (its listener connects shortly after start).
        await Task.Delay(1500);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await keyOnTwo.GetAsync("/v2/apps")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await tokenOnTwo.GetAsync("/v2/tenants/self")).StatusCode);
        }

        // PostgreSQL "restarts": every connection of both instances is dropped, then the server is back.
        proxy.Cut();
        await Task.Delay(200);
        proxy.Restore();

        // Right after, instance one deletes the key and the tenant.
        Assert.Equal(HttpStatusCode.OK, await SendPastRestartAsync(() => rootOnOne.DeleteAsync($"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}")));
        Assert.Equal(HttpStatusCode.OK, await SendPastRestartAsync(() => rootOnOne.DeleteAsync($"/v2/tenants/{child.Id}")));

        // Instance two never lets either through again: 503 while its own connections fail once, then 401.
        var seen = new List<HttpStatusCode>();
        Assert.Equal(HttpStatusCode.Unauthorized, await SendPastRestartAsync(() => keyOnTwo.GetAsync("/v2/apps"), seen));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendPastRestartAsync(() => tokenOnTwo.GetAsync("/v2/tenants/self"), seen));
        for (var i = 0; i < 20; i++)
        {
            seen.Add((await keyOnTwo.GetAsync("/v2/apps")).StatusCode);
            seen.Add((await tokenOnTwo.GetAsync("/v2/tenants/self")).StatusCode);
            await Task.Delay(50);
        }

        Assert.DoesNotContain(HttpStatusCode.OK, seen);

        // And instance two still works for keys that live.
        Assert.Equal(HttpStatusCode.OK, await SendPastRestartAsync(() => rootOnTwo.GetAsync("/v2/apps")));

        // Its log says the listener went, and that it came back (the last line an operator saw was "retrying in …").
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!logsOfTwo.Lines.Any(line => line.Contains("Credential revocation listener reconnected", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var lines = logsOfTwo.Lines.ToList();
        var lost = lines.FindIndex(line => line.Contains("Credential revocation listener disconnected", StringComparison.Ordinal));
        Assert.True(lost >= 0, "no line says the listener disconnected");
        Assert.True(lines.FindIndex(lost, line => line.Contains("Credential revocation listener reconnected", StringComparison.Ordinal)) > lost,
            "no line after the disconnection says the listener is back");
    }

    [Fact]
    public async Task DisablingAKeyAndSuspendingATenant_RightAfterARestart_TakeEffectOnTheOtherInstance()
    {
        var database = await service.Postgres.CreateMigratedDatabaseAsync("lifecycle_" + Guid.NewGuid().ToString("N")[..8]);
        var (proxy, viaProxy) = TcpProxy.InFrontOf(database);
        await using var _ = proxy;
        await using var one = Start(viaProxy);
        await using var two = Start(viaProxy);
        using var rootOnOne = one.As(ServiceFixture.RootKeyId, ServiceFixture.RootSecret);

        var sa = await rootOnOne.CreateServiceAccountAsync();
        var child = await rootOnOne.ProvisionAsync(name: "To suspend");
        using var keyOnTwo = two.As(sa.Key.Id, sa.Key.Secret);
        using var tokenOnTwo = two.Factory.CreateClient();
        tokenOnTwo.DefaultRequestHeaders.Authorization = new("Bearer", child.Token);
        await Task.Delay(1500);
        Assert.Equal(HttpStatusCode.OK, (await keyOnTwo.GetAsync("/v2/apps")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await tokenOnTwo.GetAsync("/v2/tenants/self")).StatusCode);

        proxy.Cut();
        await Task.Delay(200);
        proxy.Restore();

        Assert.Equal(HttpStatusCode.OK, await SendPastRestartAsync(() =>
            rootOnOne.PatchAsync($"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}", Http.Json(new { disabled = true }))));
        Assert.Equal(HttpStatusCode.OK, await SendPastRestartAsync(() =>
            rootOnOne.PatchAsync($"/v2/tenants/{child.Id}", Http.Json(new { status = "suspended" }))));

        var seen = new List<HttpStatusCode>();
        Assert.Equal(HttpStatusCode.Unauthorized, await SendPastRestartAsync(() => keyOnTwo.GetAsync("/v2/apps"), seen));
        Assert.Equal(HttpStatusCode.Forbidden, await SendPastRestartAsync(() => tokenOnTwo.GetAsync("/v2/tenants/self"), seen));
        Assert.DoesNotContain(HttpStatusCode.OK, seen);

        // Enabled and resumed through instance one: instance two lets them through again.
        await rootOnOne.PatchJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}", new { disabled = false });
        await rootOnOne.PatchJsonAsync($"/v2/tenants/{child.Id}", new { status = "active" });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode key, token;
        do
        {
            key = (await keyOnTwo.GetAsync("/v2/apps")).StatusCode;
            token = (await tokenOnTwo.GetAsync("/v2/tenants/self")).StatusCode;
        }
        while ((key != HttpStatusCode.OK || token != HttpStatusCode.OK) && DateTime.UtcNow < deadline && await Pause());

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (key, token));
    }

    private static async Task<bool> Pause()
    {
        await Task.Delay(100);
        return true;
    }

    [Fact]
    public async Task KeysRemovedByACascade_StopOnThisInstanceOnTheNextRequest()
    {
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var sa = await account.CreateServiceAccountAsync();
        var appId = await account.CreateAppAsync("cascade");
        var appKey = await account.CreateAppKeyAsync(appId);
        using var asService = service.Basic(sa.Key);
        using var asApp = service.Basic(appKey);
        Assert.Equal(HttpStatusCode.OK, (await asService.GetAsync("/v2/apps")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await asApp.GetAsync($"/v2/apps/{appId}")).StatusCode);

        // The keys go only by ON DELETE CASCADE; no handler names them.
        await account.DeleteJsonAsync($"/v2/serviceaccounts/{sa.Id}");
        await account.DeleteJsonAsync($"/v2/apps/{appId}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await asService.GetAsync("/v2/apps")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await asApp.GetAsync($"/v2/apps/{appId}")).StatusCode);
    }
}
