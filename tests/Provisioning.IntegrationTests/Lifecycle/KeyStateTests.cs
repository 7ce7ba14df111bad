using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Lifecycle;

/// <summary>Disabling, enabling and expiring keys of every kind (API.md §12).</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class KeyStateTests(ServiceFixture service)
{
    [Fact]
    public async Task DisablingAKeyOfEachKind_Is401UntilEnabled_AndTheKeyShowsIt()
    {
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var sa = await account.CreateServiceAccountAsync();
        var appId = await account.CreateAppAsync("disable");
        var appKey = await account.CreateAppKeyAsync(appId);
        var issued = (string)(await account.GetJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}/jwt"))["jwt"]!;
        using var svcBasic = service.Basic(sa.Key);
        using var svcSigned = service.WithBearer(Jwt.ForKey(sa.Key.Id, sa.Key.Secret));
        using var svcIssued = service.WithBearer(issued);
        using var app = service.Basic(appKey);

        var disabled = (await account.PatchJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}", new { disabled = true }))["key"]!;
        Assert.True((bool)disabled["disabled"]!);
        (await account.PatchJsonAsync($"/v2/apps/{appId}/keys/{appKey.Id}", new { disabled = true }))["key"]!["disabled"]!.GetValue<bool>();
        foreach (var client in new[] { svcBasic, svcSigned, svcIssued })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v2/apps")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync($"/v2/apps/{appId}")).StatusCode);
        Assert.True((bool)(await account.GetJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys"))["keys"]![0]!["disabled"]!);
        // No token is issued for a disabled key: it would be refused at once.
        Assert.Contains("disabled", Http.Titles(await account.GetJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}/jwt", HttpStatusCode.Conflict)));
        var v1Refusal = await account.GetJsonAsync($"/v1.1/apps/{appId}/keys/{appKey.Id}/jwt", HttpStatusCode.Conflict);
        Assert.Contains("disabled", (string?)v1Refusal["error"]!["description"]);

        await account.PatchJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}", new { disabled = false });
        await account.PatchJsonAsync($"/v2/apps/{appId}/keys/{appKey.Id}", new { disabled = false });
        foreach (var client in new[] { svcBasic, svcSigned, svcIssued })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/apps")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync($"/v2/apps/{appId}")).StatusCode);
        await account.GetJsonAsync($"/v1.1/apps/{appId}/keys/{appKey.Id}/jwt");
        Assert.Contains("disabled", Http.Titles(await account.PatchJsonAsync($"/v2/apps/{appId}/keys/{appKey.Id}", new { }, HttpStatusCode.BadRequest)));
    }

    [Theory]
    [InlineData("""{"disabled":false,"expiresAt":"2030-01-01T00:00:00Z"}""", "expiresAt")]
    [InlineData("""{"disabled":true,"displayName":"renamed"}""", "displayName")]
    public async Task AFieldTheKeyStateRouteWouldDrop_Is400NamingIt_AndChangesNothing(string body, string field)
    {
        // A caller sending expiresAt here believes the key now expires; dropping it silently left a key that never did (a probe).
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var key = (await client.PostJsonAsync("/v2/keys", new { displayName = "unchanged" }, HttpStatusCode.Created))["key"]!;

        var refused = await client.PatchJsonAsync($"/v2/keys/{key["id"]}", Http.Json(body), HttpStatusCode.BadRequest);
        Assert.Equal($"{field} is not a field of this request.", Http.Titles(refused));
        var after = (await client.GetJsonAsync($"/v2/keys/{key["id"]}"))["key"]!;
        Assert.Equal("unchanged", (string?)after["displayName"]);
        Assert.False((bool)after["disabled"]!);
        Assert.Null(after["expiresAt"]);
    }

    [Fact]
    public async Task TheLastEnabledAccountKey_CannotBeDisabledOrDeleted()
    {
        var tenant = await service.NewTenantAsync();
        using var first = tenant.Client();
        var second = (await first.PostJsonAsync("/v2/keys", new { displayName = "second" }, HttpStatusCode.Created))["key"]!;
        var secondId = (string)second["id"]!;
        using var asSecond = service.WithBasic(secondId, (string)second["secret"]!);

        await asSecond.PatchJsonAsync($"/v2/keys/{tenant.KeyId}", new { disabled = true });
        Assert.Equal(HttpStatusCode.Unauthorized, (await first.GetAsync("/v2/apps")).StatusCode);
        Http.AssertV2Error(await asSecond.PatchJsonAsync($"/v2/keys/{secondId}", new { disabled = true }, HttpStatusCode.Conflict), "conflict");
        Http.AssertV2Error(await asSecond.DeleteJsonAsync($"/v2/keys/{secondId}", HttpStatusCode.Conflict), "conflict");

        // A disabled key may go; the enabled one stays.
        await asSecond.DeleteJsonAsync($"/v2/keys/{tenant.KeyId}");
        Assert.Equal(HttpStatusCode.OK, (await asSecond.GetAsync("/v2/apps")).StatusCode);
    }

    [Fact]
    public async Task AnExpiredAccountKey_DoesNotCountAsTheOneLeft_SoTheLastWorkingKeyStays()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var database = await service.Postgres.CreateMigratedDatabaseAsync("lastkey_" + Guid.NewGuid().ToString("N")[..8]);
        await using var factory = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(), clock);
        using var root = factory.CreateClient();
        root.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        var soon = (string)(await root.PostJsonAsync("/v2/keys", new { displayName = "soon", expiresAt = clock.GetUtcNow().AddMinutes(5) }, HttpStatusCode.Created))["key"]!["id"]!;

        clock.Advance(TimeSpan.FromMinutes(6));

        // The expired key works no more: the root key is the last working one (before: 200, and the tenant was locked out).
        Http.AssertV2Error(await root.PatchJsonAsync($"/v2/keys/{ServiceFixture.RootKeyId}", new { disabled = true }, HttpStatusCode.Conflict), "conflict");
        Http.AssertV2Error(await root.DeleteJsonAsync($"/v2/keys/{ServiceFixture.RootKeyId}", HttpStatusCode.Conflict), "conflict");
        Assert.Equal(HttpStatusCode.OK, (await root.GetAsync("/v2/apps")).StatusCode);

        // The expired key itself may be disabled and deleted: it was not working.
        await root.PatchJsonAsync($"/v2/keys/{soon}", new { disabled = true });
        await root.DeleteJsonAsync($"/v2/keys/{soon}");
    }

    [Fact]
    public async Task AKeyThatExpiresSooner_DoesNotCountAsTheOneLeft_SoNoTenantLocksItselfOutLater()
    {
        // Deleting the one key that never expires through a key expiring in seconds was allowed: the tenant was locked
        // out when it expired (a probe).
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var soon = (await client.PostJsonAsync("/v2/keys", new { displayName = "soon", expiresAt = DateTimeOffset.UtcNow.AddHours(1) }, HttpStatusCode.Created))["key"]!;
        using var asSoon = service.WithBasic((string)soon["id"]!, (string)soon["secret"]!);

        Http.AssertV2Error(await asSoon.DeleteJsonAsync($"/v2/keys/{tenant.KeyId}", HttpStatusCode.Conflict), "conflict");
        Http.AssertV2Error(await asSoon.PatchJsonAsync($"/v2/keys/{tenant.KeyId}", new { disabled = true }, HttpStatusCode.Conflict), "conflict");

        // A key that expires later (or never) may stand in for one that expires sooner.
        var later = (string)(await client.PostJsonAsync("/v2/keys", new { displayName = "later", expiresAt = DateTimeOffset.UtcNow.AddDays(2) }, HttpStatusCode.Created))["key"]!["id"]!;
        await client.DeleteJsonAsync($"/v2/keys/{(string)soon["id"]!}");
        Http.AssertV2Error(await client.DeleteJsonAsync($"/v2/keys/{tenant.KeyId}", HttpStatusCode.Conflict), "conflict");
        await client.PostJsonAsync("/v2/keys", new { displayName = "never" }, HttpStatusCode.Created);
        await client.DeleteJsonAsync($"/v2/keys/{later}");
        await client.DeleteJsonAsync($"/v2/keys/{tenant.KeyId}", HttpStatusCode.OK);
    }

    [Fact]
    public async Task ADisabledProvisioningKey_ProvisionsNothing_UntilEnabled()
    {
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var created = (await account.PostJsonAsync("/v2/provisioningkeys", new { displayName = "franchise" }, HttpStatusCode.Created))["provisioningKey"]!;
        var (id, secret) = ((string)created["id"]!, (string)created["secret"]!);

        Assert.True((bool)(await account.PatchJsonAsync($"/v2/provisioningkeys/{id}", new { disabled = true }))["provisioningKey"]!["disabled"]!);
        Http.AssertV2Error(await account.PostJsonAsync("/v2/tenants", new { name = "nope", key = secret }, HttpStatusCode.Unauthorized), "unauthorized");
        await account.PatchJsonAsync($"/v2/provisioningkeys/{id}", new { disabled = false });
        await account.PostJsonAsync("/v2/tenants", new { name = "yes", key = secret }, HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnExpiringKey_StopsAtItsInstant_WithItsJwts_AndIssuedJwtsNeverOutliveIt()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var database = await service.Postgres.CreateMigratedDatabaseAsync("expiry_" + Guid.NewGuid().ToString("N")[..8]);
        await using var factory = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(), clock);
        using var root = factory.CreateClient();
        root.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(ServiceFixture.RootKeyId, ServiceFixture.RootSecret);

        var sa = (string)(await root.PostJsonAsync("/v2/serviceaccounts", new { displayName = "expiring" }, HttpStatusCode.Created))["serviceAccount"]!["id"]!;
        var expiresAt = clock.GetUtcNow().AddMinutes(30);
        var key = (await root.PostJsonAsync($"/v2/serviceaccounts/{sa}/keys", new { displayName = "30 min", expiresAt }, HttpStatusCode.Created))["key"]!;
        var (keyId, secret) = ((string)key["id"]!, (string)key["secret"]!);
        Assert.Equal(expiresAt.ToUnixTimeSeconds(), DateTimeOffset.Parse((string)key["expiresAt"]!).ToUnixTimeSeconds());

        // An issued JWT (lifetime one hour by default) ends when the key does.
        var issued = (string)(await root.GetJsonAsync($"/v2/serviceaccounts/{sa}/keys/{keyId}/jwt"))["jwt"]!;
        var validTo = DateTime.SpecifyKind(new JsonWebToken(issued).ValidTo, DateTimeKind.Utc);
        Assert.Equal(expiresAt.ToUnixTimeSeconds(), new DateTimeOffset(validTo).ToUnixTimeSeconds());

        HttpClient Client(System.Net.Http.Headers.AuthenticationHeaderValue auth)
        {
            var client = factory.CreateClient();
            client.DefaultRequestHeaders.Authorization = auth;
            return client;
        }

        using var basic = Client(ServiceFixture.BasicHeader(keyId, secret));
        using var signed = Client(new("Bearer", Jwt.ForKey(keyId, secret)));
        Assert.Equal(HttpStatusCode.OK, (await basic.GetAsync("/v2/apps")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await signed.GetAsync("/v2/apps")).StatusCode);

        // Every other kind of key, expiring at the same instant: an account key, an app key, a provisioning key.
        var accountKey = (await root.PostJsonAsync("/v2/keys", new { displayName = "30 min", expiresAt }, HttpStatusCode.Created))["key"]!;
        using var asAccount = Client(ServiceFixture.BasicHeader((string)accountKey["id"]!, (string)accountKey["secret"]!));
        var expiringApp = await root.CreateAppAsync("Expiring app key");
        var appKey = (await root.PostJsonAsync($"/v2/apps/{expiringApp}/keys", new { displayName = "30 min", expiresAt }, HttpStatusCode.Created))["key"]!;
        using var asApp = Client(ServiceFixture.BasicHeader((string)appKey["id"]!, (string)appKey["secret"]!));
        var provisioningKey = (string)(await root.PostJsonAsync("/v2/provisioningkeys", new { displayName = "30 min", expiresAt }, HttpStatusCode.Created))["provisioningKey"]!["secret"]!;
        Assert.Equal(HttpStatusCode.OK, (await asAccount.GetAsync("/v2/apps")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await asApp.GetAsync($"/v2/apps/{expiringApp}")).StatusCode);

        clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(HttpStatusCode.OK, (await basic.GetAsync("/v2/apps")).StatusCode);
        await root.PostJsonAsync("/v2/tenants", new { name = "Before expiry", key = provisioningKey }, HttpStatusCode.OK);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await basic.GetAsync("/v2/apps")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await asAccount.GetAsync("/v2/apps")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await asApp.GetAsync($"/v2/apps/{expiringApp}")).StatusCode);
        Assert.Contains("expired", Http.Titles(await root.GetJsonAsync($"/v2/serviceaccounts/{sa}/keys/{keyId}/jwt", HttpStatusCode.Conflict)));
        await root.PostJsonAsync("/v2/tenants", new { name = "After expiry", key = provisioningKey }, HttpStatusCode.Unauthorized);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Provisioning.Infrastructure.Persistence.ProvisioningDbContext>();
            Assert.Equal(["Before expiry"], await db.Tenants.Where(t => t.Name.EndsWith(" expiry")).Select(t => t.Name).ToListAsync());
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await signed.GetAsync("/v2/apps")).StatusCode);

        // expiresAt in the past, or more than ten years ahead: 400 naming it; for every kind of key.
        var now = clock.GetUtcNow();
        var app = await root.CreateAppAsync("Expiring keys");
        foreach (var route in new[] { $"/v2/serviceaccounts/{sa}/keys", "/v2/keys", "/v2/provisioningkeys", $"/v2/apps/{app}/keys" })
        {
            Assert.Contains("expiresAt", Http.Titles(await root.PostJsonAsync(route, new { displayName = "x", expiresAt = now.AddSeconds(-1) }, HttpStatusCode.BadRequest)));
            Assert.Contains("expiresAt", Http.Titles(await root.PostJsonAsync(route, new { displayName = "x", expiresAt = now.AddYears(11) }, HttpStatusCode.BadRequest)));

            // RFC 3339 or nothing: a time without its offset, or a date alone, would be read in the server's time zone.
            var tomorrow = now.AddDays(1).ToUniversalTime();
            foreach (var vague in new[] { tomorrow.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture), tomorrow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), "tomorrow" })
            {
                Assert.Contains("expiresAt must be an RFC 3339 date and time with its offset",
                    Http.Titles(await root.PostJsonAsync(route, new { displayName = "x", expiresAt = vague }, HttpStatusCode.BadRequest)));
            }

            foreach (var form in new[] { "yyyy-MM-ddTHH:mm:sszzz", "yyyy-MM-dd't'HH:mm:ss.fffzzz" })
            {
                var withOffset = tomorrow.ToOffset(TimeSpan.FromHours(2)).ToString(form, CultureInfo.InvariantCulture);
                var made = await root.PostJsonAsync(route, new { displayName = "x", expiresAt = withOffset }, HttpStatusCode.Created);
                var answered = made.AsObject().Single(p => p.Value is JsonObject).Value!["expiresAt"]!;
                Assert.Equal(tomorrow.ToUnixTimeSeconds(), DateTimeOffset.Parse((string)answered!, CultureInfo.InvariantCulture).ToUnixTimeSeconds());
            }

            var lowerZ = await root.PostJsonAsync(route, new { displayName = "x", expiresAt = tomorrow.ToString("yyyy-MM-dd't'HH:mm:ss'z'", CultureInfo.InvariantCulture) }, HttpStatusCode.Created);
            Assert.Equal(tomorrow.ToUnixTimeSeconds(), DateTimeOffset.Parse((string)lowerZ.AsObject().Single(p => p.Value is JsonObject).Value!["expiresAt"]!, CultureInfo.InvariantCulture).ToUnixTimeSeconds());
        }

        // The v1.1 key routes take it too.
        var v1 = await root.PostJsonAsync($"/v1.1/serviceaccounts/{sa}/keys", new { name = "v1", expiresAt = now.AddDays(1) }, HttpStatusCode.OK);
        Assert.StartsWith("svc_", (string?)v1["key"]!["_id"]);
        // Shown back, with disabled, on the create and on a read (they were accepted and kept, but not shown).
        Assert.Equal(now.AddDays(1).ToUnixTimeSeconds(), DateTimeOffset.Parse((string)v1["key"]!["expiresAt"]!, CultureInfo.InvariantCulture).ToUnixTimeSeconds());
        Assert.False((bool)v1["key"]!["disabled"]!);
        await root.PatchJsonAsync($"/v2/serviceaccounts/{sa}/keys/{(string)v1["key"]!["_id"]!}", new { disabled = true });
        var read = await root.GetJsonAsync($"/v1.1/serviceaccounts/{sa}/keys/{(string)v1["key"]!["_id"]!}");
        Assert.True((bool)read["key"]!["disabled"]!);
        Assert.NotNull(read["key"]!["expiresAt"]);
        Assert.Contains("expiresAt", (string?)(await root.PostJsonAsync($"/v1.1/serviceaccounts/{sa}/keys", new { name = "v1", expiresAt = now.AddYears(-1) },
            HttpStatusCode.BadRequest))["error"]!["description"]);
    }
}
