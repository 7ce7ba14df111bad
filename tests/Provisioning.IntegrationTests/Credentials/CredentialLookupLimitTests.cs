using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Provisioning.Infrastructure.Credentials;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Credentials;

[Collection(ServiceTestCollection.Name)]
public sealed class CredentialLookupLimitTests(ServiceFixture service)
{
    /// <summary>Sessions of the database waiting for a lock inside a credential lookup (its SQL, CachedCredentialStore's).</summary>
    private const string LookupsWaiting =
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' " +
        "AND query LIKE '%tenant_or_ancestor_suspended(k.tenant_id)%'";

    [Fact]
    public async Task MadeUpKeyIdsFromManyAddresses_TakeTurnsForTheDatabase_SoCachedKeysAreServed_AndPastTheQueueAre503()
    {
        // Each address under its failed-attempt budget, each made-up id a lookup: unbounded, they took the whole connection
        // pool, and requests whose keys were cached waited for a connection (a probe: 1,500 a second, right secrets 0.9 s).
        var tenant = await service.NewTenantAsync();
        var renewing = await service.NewTenantAsync();
        var logs = new CollectingLoggerProvider();
        await using var factory = new ConfiguredServiceFactory(service.ConnectionString,
            new() { [CredentialLookupOptions.ConcurrentLookupsSetting] = "2" },
            services: s =>
            {
                s.AddSingleton<ILoggerProvider>(logs);
                // The setting's turns, with a queue of 3 instead of 1,000 (so that this test need not send a thousand).
                s.AddSingleton(sp => new CredentialLookups(sp.GetRequiredService<IOptions<CredentialLookupOptions>>().Value.ConcurrentLookups,
                    3, sp.GetRequiredService<ILogger<CredentialLookups>>(), TimeProvider.System));
            });
        using var cached = factory.CreateClient();
        cached.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(tenant.KeyId, tenant.Secret);
        await CachedCredentials.UntilTrustedAsync(factory);
        await cached.GetJsonAsync("/v2/apps");
        var store = factory.Services.GetRequiredService<CachedCredentialStore>();
        Assert.True(store.IsCached(new Domain.Credentials.KeyId(tenant.KeyId)));
        using var renewingClient = factory.CreateClient();
        renewingClient.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(renewing.KeyId, renewing.Secret);
        await renewingClient.GetJsonAsync("/v2/apps"); // found once: a known key id from now on
        var lookups = factory.Services.GetRequiredService<CredentialLookups>();

        // Every lookup now waits in the database until the test lets it go on.
        await using var held = await HeldRow.LockAsync(service.ConnectionString, "api_keys", tenant.KeyId);
        await held.ExecuteAsync("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE");
        var madeUp = Enumerable.Range(1, 5).Select(i => StatusFromAsync(factory, $"192.0.2.{i}", MadeUpKeyId())).ToList();
        for (var i = 0; i < 400 && (lookups.Waiting < 3 || await Sql.CountAsync(service.ConnectionString, LookupsWaiting) < 2); i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(3, lookups.Waiting); // the three past the two turns wait here, not in the database
        Assert.Equal(2, await Sql.CountAsync(service.ConnectionString, LookupsWaiting));
        Assert.All(madeUp, request => Assert.False(request.IsCompleted));

        // Two looking up, three waiting: the next one is refused at once, 503 with Retry-After, in the error envelope.
        var refused = await factory.Server.SendAsync(c => MadeUpRequest(c, "192.0.2.99", MadeUpKeyId()));
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, refused.Response.StatusCode);
        Assert.Equal("1", refused.Response.Headers.RetryAfter.ToString());
        var body = System.Text.Json.Nodes.JsonNode.Parse(refused.Response.Body)!;
        Http.AssertV2Error(body, "service_unavailable");

        // A key read again when its entry expires (every minute; here evicted) takes a turn of the ids known to be keys: it
        // waits in the database beside the two, not refused behind the made-up ones (it was 503 here: 5 s of 503s a minute
        // for a busy key during a flood, a probe).
        store.Evict(new Domain.Credentials.KeyId(renewing.KeyId));
        var renewed = renewingClient.GetAsync("/v2/apps");
        for (var i = 0; i < 400 && !renewed.IsCompleted && await Sql.CountAsync(service.ConnectionString, LookupsWaiting) < 3; i++)
        {
            await Task.Delay(25);
        }

        Assert.False(renewed.IsCompleted);
        Assert.Equal(3, await Sql.CountAsync(service.ConnectionString, LookupsWaiting));

        // A key the cache holds takes no turn: served while the lookups wait (the cache trusted, as on a healthy instance).
        await CachedCredentials.UntilTrustedAsync(factory);
        await cached.GetJsonAsync("/v2/apps");

        await held.ReleaseAsync();
        Assert.All(await Task.WhenAll(madeUp), status => Assert.Equal(StatusCodes.Status401Unauthorized, status));
        using (var answer = await renewed)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        // Said once (at most once a minute, with a count), not an Error line per refused request.
        Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("Credential lookups at their limit (2 at once, 3 waiting at most, 15 s each): 1 request(s) answered 503 since", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, System.Net.Http.Headers.AuthenticationHeaderValue credentials, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/apps") { Headers = { Authorization = credentials } };
        using var response = await client.SendAsync(request, cancellationToken);
        return response.StatusCode;
    }

    private static string MadeUpKeyId() => "act_" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..24];

    private static void MadeUpRequest(HttpContext context, string address, string keyId)
    {
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = "/v2/apps";
        context.Request.Headers.Authorization = ServiceFixture.BasicHeader(keyId, "not-the-secret-" + new string('x', 30)).ToString();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
    }

    private static async Task<int> StatusFromAsync(ConfiguredServiceFactory factory, string address, string keyId) =>
        (await factory.Server.SendAsync(c => MadeUpRequest(c, address, keyId))).Response.StatusCode;

    [Fact]
    public async Task LookupsRefusedForWantOfATurn_CountAgainstTheAddress_SoOneAddressCannotKeepTheQueueFull()
    {
        // No secret is checked on such a 503, so it was no failed attempt: one address with 1,500 connections kept the queue
        // full until 1,200 of its lookups had completed (34,954 503s; a probe).
        var tenant = await service.NewTenantAsync();
        await using var factory = new ConfiguredServiceFactory(service.ConnectionString, new() { ["Provisioning:RateLimit:PermitsPerMinute"] = "3" },
            services: s => s.AddSingleton(sp => new CredentialLookups(1, 0, sp.GetRequiredService<ILogger<CredentialLookups>>(), TimeProvider.System)));
        factory.CreateClient().Dispose(); // started, so its meter exists to be listened to
        using var measured = new ServiceMeasurements(factory);
        await using var held = await HeldRow.LockAsync(service.ConnectionString, "api_keys", tenant.KeyId);
        await held.ExecuteAsync("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE");
        var holding = StatusFromAsync(factory, "192.0.2.50", MadeUpKeyId()); // takes the one turn, waits in the database
        for (var i = 0; i < 400 && await Sql.CountAsync(service.ConnectionString, LookupsWaiting) < 1; i++)
        {
            await Task.Delay(25);
        }

        // From another address: three 503s (no queue), each counted against it; then its budget of 3 is spent: 429.
        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add(await StatusFromAsync(factory, "192.0.2.51", MadeUpKeyId()));
        }

        Assert.Equal([503, 503, 503, 429], statuses);
        Assert.Equal(3, measured.Count("provisioning.credential.lookups", "refused")); // the metric an operator alerts on
        await held.ReleaseAsync();
        Assert.Equal(StatusCodes.Status401Unauthorized, await holding);
    }

    [Fact]
    public async Task ADeletedKeysId_LeavesTheKnownKeysTurns_AtItsNextLookup()
    {
        // Kept there, a deleted key's id (its owner knows it) sent again and again from many addresses would have filled the
        // queue of the turns kept for real keys (a review): made-up ids cannot reach it, a dead one could.
        var tenant = await service.NewTenantAsync();
        await using var factory = new ConfiguredServiceFactory(service.ConnectionString, new());
        using var owner = factory.CreateClient();
        owner.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(tenant.KeyId, tenant.Secret);
        var key = (await owner.PostJsonAsync("/v2/keys", new { displayName = "soon gone" }, HttpStatusCode.Created))["key"]!;
        var id = new Domain.Credentials.KeyId((string)key["id"]!);
        using var used = factory.CreateClient();
        used.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(id.Value, (string)key["secret"]!);
        await used.GetJsonAsync("/v2/apps");
        var store = factory.Services.GetRequiredService<CachedCredentialStore>();
        Assert.True(store.IsKnown(id));

        await owner.DeleteJsonAsync($"/v2/keys/{id.Value}");
        using var refused = await used.GetAsync("/v2/apps");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.False(store.IsKnown(id));
    }

    [Fact]
    public async Task AClientThatHangsUpWhileItsKeyIsLookedUp_LogsNothing_WithBasicOrAJwt()
    {
        // JwtBearer logged the cancellation of a JWT's key lookup at Error, with its stack trace, per request (a probe: 2,820
        // lines in 10 s of clients hanging up); the Basic path logged none.
        var logs = new CollectingLoggerProvider();
        await using var factory = new ConfiguredServiceFactory(service.ConnectionString, new() { [CredentialLookupOptions.ConcurrentLookupsSetting] = "1" },
            services: s => s.AddSingleton<ILoggerProvider>(logs));
        var tenant = await service.NewTenantAsync();
        using var client = factory.CreateClient();
        var lookups = factory.Services.GetRequiredService<CredentialLookups>();

        // One turn: the first lookup waits in the database, the second for the turn; both clients then hang up.
        await using var held = await HeldRow.LockAsync(service.ConnectionString, "api_keys", tenant.KeyId);
        await held.ExecuteAsync("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE");
        using var leaving = new CancellationTokenSource();
        var basic = SendAsync(client, ServiceFixture.BasicHeader(MadeUpKeyId(), "not-the-secret-" + new string('x', 30)), leaving.Token);
        var jwt = SendAsync(client, new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Jwt.ForKey(MadeUpKeyId(), new string('s', 40))), leaving.Token);
        for (var i = 0; i < 400 && (lookups.Waiting < 1 || await Sql.CountAsync(service.ConnectionString, LookupsWaiting) < 1); i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal((1, 1), (lookups.Waiting, await Sql.CountAsync(service.ConnectionString, LookupsWaiting)));
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => basic);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => jwt);
        for (var i = 0; i < 400 && (lookups.Waiting > 0 || await Sql.CountAsync(service.ConnectionString, LookupsWaiting) > 0); i++)
        {
            await Task.Delay(25); // the server's side sees the hang-ups: the waiting one leaves the queue, the other's statement is cancelled
        }

        await held.ReleaseAsync();
        // The turn was given back: a lookup now goes through (401 for an id no key has).
        Assert.Equal(StatusCodes.Status401Unauthorized, await StatusFromAsync(factory, "192.0.2.7", MadeUpKeyId()));
        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal));
    }
}
