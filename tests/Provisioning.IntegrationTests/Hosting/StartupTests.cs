using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Infrastructure.Persistence;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>Start-up as API.md section 8 describes it, each case on a database of its own.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class StartupTests(ServiceFixture service)
{
    [Fact]
    public async Task FirstStart_MigratesAndBootstrapsTheConfiguredRootKey_AndASecondStartKeepsIt()
    {
        var database = await service.Postgres.CreateDatabaseAsync("startup_" + Guid.NewGuid().ToString("N")[..8]);
        const string keyId = "act_0123456789abcdef01234567";
        const string secret = "configured-secret-0123456789abcdef";
        var settings = new Dictionary<string, string?>
        {
            ["Provisioning:Bootstrap:TenantName"] = "Operator",
            ["Provisioning:Bootstrap:KeyId"] = keyId,
            ["Provisioning:Bootstrap:Secret"] = secret,
        };

        await using (var first = new ConfiguredServiceFactory(database, settings))
        {
            using var client = first.CreateClient();
            client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(keyId, secret);
            var self = (await client.GetJsonAsync("/v2/tenants/self"))["tenant"]!;
            Assert.Equal("Operator", (string?)self["name"]);
            Assert.Null(self["parentId"]);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        }

        // A restart with other bootstrap settings keeps the existing root (and makes no second one).
        settings["Provisioning:Bootstrap:KeyId"] = "act_fedcba9876543210fedcba98";
        await using (var second = new ConfiguredServiceFactory(database, settings))
        {
            using var client = second.CreateClient();
            client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(keyId, secret);
            await client.GetJsonAsync("/v2/tenants/self");
            await using var scope = second.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
            Assert.Equal(1, await db.Tenants.CountAsync(t => t.ParentId == null));
            Assert.Equal(1, await db.ApiKeys.CountAsync());
        }
    }

    [Fact]
    public async Task FirstStart_WithoutBootstrapSettings_MakesAKey_AndWritesTheRootKeyFile()
    {
        var database = await service.Postgres.CreateDatabaseAsync("startup_" + Guid.NewGuid().ToString("N")[..8]);
        var file = Path.Combine(Path.GetTempPath(), $"root-key-{Guid.NewGuid():N}.json");
        try
        {
            await using var factory = new ConfiguredServiceFactory(database, new() { ["Provisioning:Bootstrap:RootKeyFile"] = file });
            using var client = factory.CreateClient();

            var written = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
            client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader((string)written["keyId"]!, (string)written["secret"]!);
            var self = (await client.GetJsonAsync("/v2/tenants/self"))["tenant"]!;
            Assert.Equal((string?)written["tenantId"], (string?)self["id"]);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Readyz_Is503WhenTheDatabaseGoesAway_WhileHealthzStays200()
    {
        var name = "startup_" + Guid.NewGuid().ToString("N")[..8];
        var database = await service.Postgres.CreateDatabaseAsync(name);
        await using var factory = new ConfiguredServiceFactory(database, new());
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);

        await service.Postgres.DropDatabaseAsync(name);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Readyz_IsNotReady_WhenTheStoredSecretsNoLongerDecryptWithTheMasterKey()
    {
        var database = await service.Postgres.CreateDatabaseAsync("startup_" + Guid.NewGuid().ToString("N")[..8]);
        await using var factory = new ConfiguredServiceFactory(database, new());
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);

        // As after restoring another installation's data under this master key.
        var otherKey = new Provisioning.Infrastructure.Security.AesGcmSecretProtector(new byte[32]);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
            await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE master_key_check SET value = {otherKey.Protect("provisioning-master-key-check-v1")}");
        }

        using var readyz = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
    }
}
