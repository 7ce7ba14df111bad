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

    [Theory]
    [InlineData(null, "Provisioning:Secrets:MasterKey is not set")]
    [InlineData("not base64!", "not valid base64")]
    [InlineData("AAAA", "decodes to 3 bytes")]
    public void WithoutAValidMasterKey_TheServiceRefusesToStartAndSaysWhy(string? masterKey, string message)
    {
        using var factory = new ConfiguredServiceFactory("Host=127.0.0.1;Database=unused", new() { ["Provisioning:Secrets:MasterKey"] = masterKey ?? "" });
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains(message, Flatten(error));
    }

    [Fact]
    public async Task ABootstrapSecretShorterThan32Characters_StopsStartAndSaysWhy()
    {
        var database = await service.Postgres.CreateDatabaseAsync("startup_" + Guid.NewGuid().ToString("N")[..8]);
        await using var factory = new ConfiguredServiceFactory(database, new()
        {
            ["Provisioning:Bootstrap:KeyId"] = "act_0123456789abcdef01234567",
            ["Provisioning:Bootstrap:Secret"] = "too-short-secret",
        });
        Assert.Contains("at least 32 characters", Flatten(Assert.ThrowsAny<Exception>(() => factory.CreateClient())));
    }

    [Fact]
    public void WithoutAConnectionString_TheServiceRefusesToStartAndSaysWhy()
    {
        using var factory = new ConfiguredServiceFactory("", new());
        Assert.Contains("ConnectionStrings:Provisioning is not set", Flatten(Assert.ThrowsAny<Exception>(() => factory.CreateClient())));
    }

    [Fact]
    public async Task WithMigrationOnStartupOff_AnUnmigratedDatabaseStopsStartWithWhatToDo()
    {
        var database = await service.Postgres.CreateDatabaseAsync("startup_" + Guid.NewGuid().ToString("N")[..8]);
        await using var factory = new ConfiguredServiceFactory(database, new() { ["Provisioning:Database:MigrateOnStartup"] = "false" });
        Assert.Contains("pending migrations", Flatten(Assert.ThrowsAny<Exception>(() => factory.CreateClient())));
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

    private static string Flatten(Exception error) =>
        string.Join(" | ", Enumerable.Repeat(error, 1).Concat(error is AggregateException a ? a.Flatten().InnerExceptions : [])
            .SelectMany(e => new[] { e, e.InnerException }).Where(e => e is not null).Select(e => e!.Message));
}
