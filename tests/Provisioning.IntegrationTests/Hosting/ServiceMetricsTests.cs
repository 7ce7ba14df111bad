using System.Net;
using System.Net.Http.Json;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>
/// The service's own metrics (docs/operations.md "Observability"), as an exporter receives them while clients use the API.
/// (A revocation answered unconfirmed: <c>RevocationTests</c>; a lookup refused for want of a turn: <c>CredentialLookupLimitTests</c>;
/// lookups of a database in recovery: <c>DatabaseInRecoveryTests</c>; a straggler's retired master key: <c>MasterKeyRotationTests</c>;
/// the meter exported over OTLP: <c>ObservabilityTests</c>.)
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class ServiceMetricsTests(ServiceFixture service)
{
    private const string Lookups = "provisioning.credential.lookups";
    private const string Trusted = "provisioning.credential.cache.trusted";

    [Fact]
    public async Task Lookups_GuardRefusals_Replays_AndTheCachesTrust_AreMeasured_AsClientsUseTheService()
    {
        var database = await service.Postgres.CreateMigratedDatabaseAsync("metrics_" + Guid.NewGuid().ToString("N")[..8]);
        var settings = ServiceFixture.RootKeySettings();
        settings["Provisioning:RateLimit:PermitsPerMinute"] = "100"; // a key id's share of failures from one address: 10
        var (proxy, viaProxy) = TcpProxy.InFrontOf(database); // (to cut the database away at the end)
        await using var _ = proxy;
        await using var instance = new ConfiguredServiceFactory(viaProxy, settings);
        using var root = await instance.CreateRootClientAsync();
        using var measured = new ServiceMeasurements(instance);
        await CachedCredentials.UntilTrustedAsync(instance);
        Assert.True(await ServiceMeasurements.UntilAsync(() => measured.Gauge(Trusted) == 1));

        // A new key: read from the database the first time, from the cache after (once it is trusted: a loaded host may miss a
        // heartbeat, when every lookup goes to the database until the next).
        var key = (await root.PostJsonAsync("/v2/keys", new { displayName = "measured" }, HttpStatusCode.Created))["key"]!;
        using var client = instance.CreateClient();
        client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader((string)key["id"]!, (string)key["secret"]!);
        var read = measured.Count(Lookups, "database");
        await client.GetJsonAsync("/v2/apps");
        Assert.Equal(read + 1, measured.Count(Lookups, "database"));
        var cached = measured.Count(Lookups, "cached");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (measured.Count(Lookups, "cached") == cached && DateTime.UtcNow < deadline)
        {
            await client.GetJsonAsync("/v2/apps");
            await Task.Delay(20);
        }

        Assert.True(measured.Count(Lookups, "cached") > cached, "no lookup was answered from the cache");
        Assert.Equal(0, measured.Count(Lookups, "refused") + measured.Count(Lookups, "unavailable"));

        // A key whose stored secret does not decrypt (altered in the database): a fault (500), in no outcome — it was counted
        // as a read from the database, at every retry (a probe of the metrics).
        var altered = (await root.PostJsonAsync("/v2/keys", new { displayName = "altered" }, HttpStatusCode.Created))["key"]!;
        await Sql.ExecuteAsync(database,
            $"UPDATE api_keys SET protected_secret = set_byte(protected_secret, 60, get_byte(protected_secret, 60) # 1) WHERE id = '{altered["id"]}'");
        using (var withAltered = instance.CreateClient())
        {
            withAltered.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader((string)altered["id"]!, (string)altered["secret"]!);
            var readBeforeAltered = measured.Count(Lookups, "database");
            using var refused = await withAltered.GetAsync("/v2/apps");
            Assert.Equal(HttpStatusCode.InternalServerError, refused.StatusCode);
            Assert.Equal(readBeforeAltered, measured.Count(Lookups, "database"));
        }

        // A retry under the same Idempotency-Key is replayed, and counted once; the first send is not a replay.
        Assert.Equal(0, measured.Count("provisioning.idempotency.replays"));
        for (var send = 0; send < 2; send++)
        {
            using var create = new HttpRequestMessage(HttpMethod.Post, "/v2/apps")
            {
                Headers = { { "Idempotency-Key", "metrics-replay" } },
                Content = JsonContent.Create(new { displayName = "replayed" }),
            };
            using var answer = await root.SendAsync(create);
            Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
            Assert.Equal(send, measured.Count("provisioning.idempotency.replays"));
        }

        // Wrong secrets for one key id: its share of failures from this address (10; more if the limiter's minute turned
        // meanwhile), then refused before any check (429), and only that one counted as the guard's.
        using var guessing = instance.CreateClient();
        guessing.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader((string)key["id"]!, "not-the-secret-0123456789-0123456789");
        var statuses = new List<HttpStatusCode>();
        while (statuses.Count < 30 && !statuses.Contains(HttpStatusCode.TooManyRequests))
        {
            using var guess = await guessing.GetAsync("/v2/apps");
            statuses.Add(guess.StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.True(statuses.Count >= 11 && statuses[..^1].All(status => status == HttpStatusCode.Unauthorized), string.Join(", ", statuses));
        Assert.Equal(1, measured.Count("provisioning.failed_attempts.refused"));

        // The database cut away (a network cut, PostgreSQL restarting): the revocation listener's session is gone, so the cache
        // is not trusted and every key is read from the database, which cannot answer (503, counted as unavailable); once it
        // is back, the listener reconnects (its retries back off from a second) and, hearing itself, trusts the cache again.
        proxy.Cut();
        Assert.True(await ServiceMeasurements.UntilAsync(() => measured.Gauge(Trusted) == 0), "the cache stayed trusted without its listener");
        var (unavailable, readBefore) = (measured.Count(Lookups, "unavailable"), measured.Count(Lookups, "database"));
        using (var away = await root.GetAsync("/v2/apps")) // (not the guessed key: its id is refused from here for the minute)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, away.StatusCode);
        }

        Assert.True(measured.Count(Lookups, "unavailable") > unavailable, "a lookup the database could not answer was not counted");
        Assert.Equal(readBefore, measured.Count(Lookups, "database"));
        proxy.Restore();
        Assert.True(await ServiceMeasurements.UntilAsync(() => measured.Gauge(Trusted) == 1), "the cache was not trusted again after the listener reconnected");
    }
}
