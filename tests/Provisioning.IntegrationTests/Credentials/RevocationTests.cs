using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Credentials;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Credentials;

/// <summary>Verified credentials are cached; deleting what they derive from must still lock them out on the very next request.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class RevocationTests(ServiceFixture service)
{
    [Fact]
    public async Task DeletingAServiceAccountKey_LocksOutBasicSignedJwtAndIssuedJwt_OnTheNextRequest()
    {
        var account = (await service.NewTenantAsync()).Client();
        var sa = await account.CreateServiceAccountAsync();
        var issued = (string)(await account.GetJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}/jwt"))["jwt"]!;
        var clients = new[] { service.Basic(sa.Key), service.WithBearer(Jwt.ForKey(sa.Key.Id, sa.Key.Secret)), service.WithBearer(issued) };

        // Warm the credential cache.
        foreach (var client in clients)
        {
            await client.GetJsonAsync("/v2/apps");
        }

        await account.DeleteJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}");

        foreach (var client in clients)
        {
            Http.AssertV2Error(await client.GetJsonAsync("/v2/apps", HttpStatusCode.Unauthorized), "unauthorized");
        }
    }

    [Fact]
    public async Task DeletingAServiceAccount_LocksOutAllItsKeys()
    {
        var account = (await service.NewTenantAsync()).Client();
        var sa = await account.CreateServiceAccountAsync();
        var second = await account.CreateServiceAccountKeyAsync(sa.Id);
        await service.Basic(sa.Key).GetJsonAsync("/v2/apps");
        await service.Basic(second).GetJsonAsync("/v2/apps");

        await account.DeleteJsonAsync($"/v2/serviceaccounts/{sa.Id}");

        Http.AssertV2Error(await service.Basic(sa.Key).GetJsonAsync("/v2/apps", HttpStatusCode.Unauthorized), "unauthorized");
        Http.AssertV2Error(await service.Basic(second).GetJsonAsync("/v2/apps", HttpStatusCode.Unauthorized), "unauthorized");
    }

    [Fact]
    public async Task DeletingAnApp_RemovesItsKeysAndGrants_AndLocksOutItsKeys()
    {
        var account = (await service.NewTenantAsync()).Client();
        var app = await account.CreateAppAsync();
        var key = await account.CreateAppKeyAsync(app);
        var sa = await account.CreateServiceAccountAsync();
        await account.PutJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{app}", null);
        var jwtClient = service.WithBearer(Jwt.ForKey(key.Id, key.Secret, scope: "app"));
        await service.Basic(key).GetJsonAsync($"/v2/apps/{app}");
        await jwtClient.GetJsonAsync($"/v2/apps/{app}");

        await account.DeleteJsonAsync($"/v2/apps/{app}");

        Http.AssertV2Error(await service.Basic(key).GetJsonAsync($"/v2/apps/{app}", HttpStatusCode.Unauthorized), "unauthorized");
        Http.AssertV2Error(await jwtClient.GetJsonAsync($"/v2/apps/{app}", HttpStatusCode.Unauthorized), "unauthorized");
        Assert.False(await service.QueryDbAsync(db => db.ApiKeys.AnyAsync(k => k.Id == new KeyId(key.Id))));
        Assert.False(await service.QueryDbAsync(db => db.AppGrants.AnyAsync(g => g.AppId == new Domain.Common.AppId(app))));
        Assert.True(await service.QueryDbAsync(db => db.ServiceAccounts.AnyAsync(s => s.Id == new Domain.Common.ServiceAccountId(sa.Id))));
    }

    [Fact]
    public async Task DeletingAnAppKey_LocksItOut()
    {
        var account = (await service.NewTenantAsync()).Client();
        var app = await account.CreateAppAsync();
        var key = await account.CreateAppKeyAsync(app);
        await service.Basic(key).GetJsonAsync($"/v2/apps/{app}");

        await account.DeleteJsonAsync($"/v2/apps/{app}/keys/{key.Id}");

        Http.AssertV2Error(await service.Basic(key).GetJsonAsync($"/v2/apps/{app}", HttpStatusCode.Unauthorized), "unauthorized");
    }

    [Fact]
    public async Task ARevocationOnOneInstance_ReachesAnotherInstance_ThatHadTheKeyCached()
    {
        var account = (await service.NewTenantAsync()).Client();
        var sa = await account.CreateServiceAccountAsync();
        await using var other = new ConfiguredServiceFactory(service.ConnectionString, []);
        using var viaOther = other.CreateClient();
        viaOther.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(sa.Key.Id, sa.Key.Secret);
        await viaOther.GetJsonAsync("/v2/apps"); // now cached by the other instance

        await account.DeleteJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}");

        // Delivered by PostgreSQL when the deletion commits; allow for the notification's trip.
        var status = HttpStatusCode.OK;
        for (var attempt = 0; attempt < 100 && status != HttpStatusCode.Unauthorized; attempt++)
        {
            using var response = await viaOther.GetAsync("/v2/apps");
            status = response.StatusCode;
            if (status != HttpStatusCode.Unauthorized)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task KeyUse_IsRecordedAsLastUsedAt_InBatches()
    {
        var tenant = await service.NewTenantAsync();
        var before = await service.QueryDbAsync(db => db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == new KeyId(tenant.KeyId)));
        Assert.Null(before.LastUsedAt);

        await tenant.Client().GetJsonAsync("/v2/apps");
        await tenant.Client().GetJsonAsync("/v2/apps");
        await service.Factory.Services.GetRequiredService<KeyUsageRecorder>().FlushAsync(CancellationToken.None);

        var after = await service.QueryDbAsync(db => db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == new KeyId(tenant.KeyId)));
        Assert.NotNull(after.LastUsedAt);
        Assert.InRange(after.LastUsedAt!.Value, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        var shown = await tenant.Client().GetJsonAsync($"/v2/keys/{tenant.KeyId}");
        Assert.NotNull(shown["key"]!["lastUsedAt"]);
    }
}
