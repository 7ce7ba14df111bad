using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Domain.Common;
using Provisioning.Domain.Tenants;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Tenants;

/// <summary>DailyStory-style provisioning: provisioning key + parent credential → child tenant + token.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class ProvisioningFlowTests(ServiceFixture service)
{
    [Fact]
    public async Task ProvisionTenant_WithDefaults_InheritsLogoAndSettings_AndItsTokenWorksBothWays()
    {
        var parent = await service.NewTenantAsync();
        var account = parent.Client();
        await account.PatchJsonAsync("/v2/tenants/self", new
        {
            logoUrl = "https://cdn.example.com/acme.png",
            settings = new { email = new { fromName = "ACME", replyTo = "help@acme.example" } },
        });
        var key = await account.CreateProvisioningKeyAsync();

        var answer = await account.PostJsonAsync("/v2/tenants", new
        {
            name = "ACME Denver",
            key,
            emails = new[] { "Owner@Denver.example", "owner@denver.example", "ops@denver.example" },
            settings = new { email = new { fromName = "ACME Denver" } },
        }, HttpStatusCode.OK);
        var childId = (string)answer["tenantuid"]!;
        var token = (string)answer["token"]!;
        Assert.True(IdGenerator.IsValid(childId));
        Assert.Equal(["tenantuid", "token"], answer.AsObject().Select(p => p.Key));

        // The token works at once, as Bearer and as Basic api:<token>.
        var viaBearer = (await service.WithBearer(token).GetJsonAsync("/v2/tenants/self"))["tenant"]!;
        var viaBasic = (await service.WithBasic("api", token).GetJsonAsync("/v2/tenants/self"))["tenant"]!;
        Assert.Equal(childId, (string?)viaBearer["id"]);
        Assert.Equal(childId, (string?)viaBasic["id"]);

        Assert.Equal("ACME Denver", (string?)viaBearer["name"]);
        Assert.Equal(parent.TenantId, (string?)viaBearer["parentId"]);
        Assert.Equal("https://cdn.example.com/acme.png", (string?)viaBearer["logoUrl"]);
        Assert.Equal(10000, (int)viaBearer["contacts"]!);
        Assert.Null(viaBearer["maxApps"]);
        Assert.Equal(0, (int)viaBearer["appCount"]!);
        Assert.Equal(["ops@denver.example", "owner@denver.example"], viaBearer["users"]!.AsArray().Select(u => (string)u!));
        Assert.Equal("ACME Denver", (string?)viaBearer["settings"]!["email"]!["fromName"]);
        Assert.Equal("help@acme.example", (string?)viaBearer["settings"]!["email"]!["replyTo"]);
        Assert.Equal("""{"email":{"fromName":"ACME Denver"}}""", viaBearer["ownSettings"]!.ToJsonString());

        var stored = await service.QueryDbAsync(db => db.Tenants.AsNoTracking().Include(t => t.Users).SingleAsync(t => t.Id == new TenantId(childId)));
        Assert.Equal([parent.TenantId, childId], stored.Path.TakeLast(2));
        Assert.Equal(2, stored.Users.Count);
    }

    [Fact]
    public async Task ParentSettingsChange_ShowsInChildrenThatDidNotOverride()
    {
        var account = (await service.NewTenantAsync()).Client();
        var child = await account.ProvisionAsync(new { settings = new { email = new { fromName = "Child" } } });
        var grandchild = await service.Client(child).ProvisionAsync(name: "Grandchild");

        await account.PatchJsonAsync("/v2/tenants/self", new { settings = new { email = new { fromName = "Parent", footer = "v2" }, sms = new { sender = "ACME" } } });

        var childView = (await service.Client(child).GetJsonAsync("/v2/tenants/self"))["tenant"]!;
        Assert.Equal("Child", (string?)childView["settings"]!["email"]!["fromName"]);
        Assert.Equal("v2", (string?)childView["settings"]!["email"]!["footer"]);
        var grandView = (await service.Client(grandchild).GetJsonAsync("/v2/tenants/self"))["tenant"]!;
        Assert.Equal("Child", (string?)grandView["settings"]!["email"]!["fromName"]);
        Assert.Equal("ACME", (string?)grandView["settings"]!["sms"]!["sender"]);
        Assert.Equal("{}", grandView["ownSettings"]!.ToJsonString());

        // Removing the child's own value lets the parent's show through again.
        await service.Client(child).PatchJsonAsync("/v2/tenants/self", Http.Json("""{"settings":{"email":{"fromName":null}}}"""));
        Assert.Equal("Parent", (string?)(await service.Client(grandchild).GetJsonAsync("/v2/tenants/self"))["tenant"]!["settings"]!["email"]!["fromName"]);

        // At provisioning a null key or feature is as if not sent (provisioning.md): the child has none of its own to remove.
        var withNulls = await account.ProvisionAsync(System.Text.Json.Nodes.JsonNode.Parse("""{"settings":{"email":{"fromName":null,"footer":"own"},"sms":null}}"""), "Nulls");
        var nullsView = (await service.Client(withNulls).GetJsonAsync("/v2/tenants/self"))["tenant"]!;
        Assert.Equal("""{"email":{"footer":"own"}}""", nullsView["ownSettings"]!.ToJsonString());
        Assert.Equal("Parent", (string?)nullsView["settings"]!["email"]!["fromName"]);
    }

    [Fact]
    public async Task ATenantsOwnSettings_HoldAtMost64KiBInAll_PatchBeyondIs400NamingSettings()
    {
        // Each value within 4096 characters, PATCH after PATCH a tenant stored 41 MB of its own settings, which its
        // parent's list, its descendants' reads and its own carried from then on (a probe).
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var value = new string('a', 4096);
        await client.PatchJsonAsync("/v2/tenants/self", new { settings = new { big = Enumerable.Range(0, 15).ToDictionary(i => $"k{i}", _ => value) } });

        var refused = await client.PatchJsonAsync("/v2/tenants/self", new { settings = new { more = new { a = value, b = value } } }, HttpStatusCode.BadRequest);
        Http.AssertV2Error(refused, "bad_request");
        Assert.StartsWith("settings may hold at most 65536 bytes in all", (string?)refused["errors"]![0]!["title"]);
        var own = (await client.GetJsonAsync("/v2/tenants/self"))["tenant"]!["ownSettings"]!.AsObject();
        Assert.Equal(["big"], own.Select(p => p.Key));

        // Room made, the change goes in.
        await client.PatchJsonAsync("/v2/tenants/self", Http.Json("""{"settings":{"big":{"k0":null,"k1":null}}}"""));
        await client.PatchJsonAsync("/v2/tenants/self", new { settings = new { more = new { a = value, b = value } } });
    }

    [Fact]
    public async Task ProvisionTenant_UsesGivenLogoAndContacts()
    {
        var account = (await service.NewTenantAsync()).Client();
        var child = await account.ProvisionAsync(new { logo_url = "http://logos.example/c.png", contacts = 0 });
        var view = (await account.GetJsonAsync($"/v2/tenants/{child.Id}"))["tenant"]!;
        Assert.Equal("http://logos.example/c.png", (string?)view["logoUrl"]);
        Assert.Equal(0, (int)view["contacts"]!);
    }

    public static TheoryData<string, string> BadProvisioningBodies => new()
    {
        { """{"key":"{key}"}""", "name" },
        { """{"name":"  ","key":"{key}"}""", "name" },
        { $$"""{"name":"{{new string('n', 101)}}","key":"{key}"}""", "name" },
        { """{"name":"X","key":"{key}","emails":["not-an-email"]}""", "emails" },
        { """{"name":"X","key":"{key}","emails":["a@example.com","b@"]}""", "emails" },
        { """{"name":"X","key":"{key}","emails":["x@-y.com"]}""", "emails" },
        { """{"name":"X","key":"{key}","emails":["x@y-.example.com"]}""", "emails" },
        // A second ceo@acme.com that looks like the first (a BOM, a zero-width space), and a domain no mail reaches.
        { """{"name":"X","key":"{key}","emails":["ceo@acme.com","\ufeffceo@acme.com"]}""", "emails" },
        { """{"name":"X","key":"{key}","emails":["ceo\u200b@acme.com"]}""", "emails" },
        { """{"name":"X","key":"{key}","emails":["ceo@exa_mple.com"]}""", "emails" },
        // The address at fault is named by its place; a null said "'' is not a valid email address" (a probe).
        { """{"name":"X","key":"{key}","emails":["a@example.com","b@exa_mple.com"]}""", "emails[1]: 'b@exa_mple.com' is not a valid email address." },
        { """{"name":"X","key":"{key}","emails":["a@example.com",null]}""", "emails[1] must be an email address (it is missing or null)." },
        // What a title quotes of the request, with a right-to-left override (which reversed the rest of the sentence as read)
        // written as its escape (a field's name: AppsApiTests).
        { """{"name":"X","key":"{key}","emails":["admin\u202e@example.com"]}""", "emails[0]: 'admin\\u202E@example.com' is not a valid email address." },
        { """{"name":"X","key":"{key}","emails":"a@example.com"}""", "emails" },
        { """{"name":"X","key":"{key}","contacts":-1}""", "contacts" },
        { """{"name":"X","key":"{key}","contacts":"100"}""", "contacts" },
        { """{"name":"X","key":"{key}","logo_url":"ftp://example.com/l.png"}""", "logo_url" },
        { """{"name":"X","key":"{key}","logo_url":"/relative.png"}""", "logo_url" },
        // A user name or password in the logo's URL would be shown to the tenant and inherited by its children.
        { """{"name":"X","key":"{key}","logo_url":"https://user:secret@logo.example.com/l.png"}""", "logo_url must not hold a user name or password" },
        { $$"""{"name":"X","key":"{key}","logo_url":"https://logo.example.com/{{new string('l', 2040)}}.png"}""", "logo_url must be at most 2048 characters" },
        { """{"name":"X","key":"{key}","settings":{"email":{"fromName":5}}}""", "settings.email.fromName" },
        { """{"name":"X","key":"{key}","settings":{"email":"flat"}}""", "settings.email" },
        { """{"name":"X","key":"{key}","settings":{"email":{"deep":{"x":"y"}}}}""", "settings.email.deep" },
        { """{"name":"X","key":"{key}","settings":[]}""", "settings" },
        { """{"name":"X","key":"{key}","settings":{" email":{"fromName":"ACME"}}}""", "settings: a setting name must not start or end with white space" },
        { """{"name":"X","key":"{key}","settings":{"email":{"\u200bfromName":"ACME"}}}""", "settings.email: a setting name must not start or end" },
    };

    [Theory]
    [MemberData(nameof(BadProvisioningBodies))]
    public async Task ProvisionTenant_WithBadInput_Returns400NamingTheField_AndCreatesNothing(string json, string field)
    {
        var parent = await service.NewTenantAsync();
        var account = parent.Client();
        var key = await account.CreateProvisioningKeyAsync();

        var body = await account.PostJsonAsync("/v2/tenants", Http.Json(json.Replace("{key}", key)), HttpStatusCode.BadRequest);
        Http.AssertV2Error(body, "bad_request");
        Assert.Contains(field, Http.Titles(body));
        Assert.Equal(0, await ChildrenOf(parent.TenantId));
    }

    [Fact]
    public async Task ProvisionTenant_WithAWrongDeletedOrForeignKey_Returns401_AndCreatesNothing()
    {
        var parent = await service.NewTenantAsync();
        var account = parent.Client();
        var live = await account.CreateProvisioningKeyAsync();
        var foreign = await (await service.NewTenantAsync()).Client().CreateProvisioningKeyAsync();

        foreach (var key in new[] { live + "x", foreign, "", "prv_" + IdGenerator.NewId() })
        {
            Http.AssertV2Error(await account.PostJsonAsync("/v2/tenants", new { name = "Nope", key }, HttpStatusCode.Unauthorized), "unauthorized");
        }

        // No key at all is 401 too ("otherwise 401, and nothing is created"), saying it is required.
        var missing = await account.PostJsonAsync("/v2/tenants", new { name = "Nope" }, HttpStatusCode.Unauthorized);
        Assert.Contains("key (a provisioning key of this tenant) is required", Http.Titles(missing));

        var doomed = (await account.PostJsonAsync("/v2/provisioningkeys", new { displayName = "doomed" }, HttpStatusCode.Created))["provisioningKey"]!;
        await account.DeleteJsonAsync($"/v2/provisioningkeys/{(string)doomed["id"]!}");
        Http.AssertV2Error(await account.PostJsonAsync("/v2/tenants", new { name = "Nope", key = (string)doomed["secret"]! }, HttpStatusCode.Unauthorized), "unauthorized");

        Assert.Equal(0, await ChildrenOf(parent.TenantId));
    }

    [Fact]
    public async Task ProvisioningKeys_ShowTheSecretOnceAndStoreOnlyAHash()
    {
        var parent = await service.NewTenantAsync();
        var account = parent.Client();
        var created = (await account.PostJsonAsync("/v2/provisioningkeys", new { displayName = "Franchise" }, HttpStatusCode.Created))["provisioningKey"]!;
        var id = (string)created["id"]!;
        var secret = (string)created["secret"]!;
        Assert.StartsWith("prv_", id);

        var listed = (await account.GetJsonAsync("/v2/provisioningkeys"))["provisioningKeys"]!.AsArray().Single()!;
        Assert.Equal(id, (string?)listed["id"]);
        Assert.False(listed.AsObject().ContainsKey("secret"));
        Assert.False((await account.GetJsonAsync($"/v2/provisioningkeys/{id}"))["provisioningKey"]!.AsObject().ContainsKey("secret"));

        var stored = await service.QueryDbAsync(db => db.ProvisioningKeys.AsNoTracking().SingleAsync(k => k.Id == new Domain.Credentials.KeyId(id)));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)), stored.SecretHash.ToArray());

        Http.AssertV2Error(await (await service.NewTenantAsync()).Client().GetJsonAsync($"/v2/provisioningkeys/{id}", HttpStatusCode.NotFound), "not_found");
        Http.AssertV2Error(await account.PostJsonAsync("/v2/provisioningkeys", new { displayName = "" }, HttpStatusCode.BadRequest), "bad_request");
        Http.AssertV2Error(await account.GetJsonAsync("/v2/provisioningkeys?page[after]=act_0", HttpStatusCode.BadRequest), "bad_request");
    }

    [Fact]
    public async Task AProvisioningKeyIsFoundAmongManyByItsSecret_AndAHugeWrongOneIs401()
    {
        // Provisioning compared the key it is sent with every key of the tenant, hashing it again each time: 2,000 keys and
        // a 100 KB "key" cost a second of CPU per attempt (a probe). It is looked up by its hash now.
        var parent = await service.NewTenantAsync();
        var account = parent.Client();
        var secrets = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            secrets.Add(await account.CreateProvisioningKeyAsync());
        }

        var disabled = (await account.PostJsonAsync("/v2/provisioningkeys", new { displayName = "off" }, HttpStatusCode.Created))["provisioningKey"]!;
        await account.PatchJsonAsync($"/v2/provisioningkeys/{(string)disabled["id"]!}", new { disabled = true });
        Http.AssertV2Error(await account.PostJsonAsync("/v2/tenants", new { name = "Disabled", key = (string)disabled["secret"]! }, HttpStatusCode.Unauthorized), "unauthorized");
        var foreign = await (await service.NewTenantAsync()).Client().CreateProvisioningKeyAsync();
        Http.AssertV2Error(await account.PostJsonAsync("/v2/tenants", new { name = "Foreign", key = foreign }, HttpStatusCode.Unauthorized), "unauthorized");
        Http.AssertV2Error(await account.PostJsonAsync("/v2/tenants", new { name = "Huge", key = new string('k', 90_000) }, HttpStatusCode.Unauthorized), "unauthorized");
        Assert.Equal(0, await ChildrenOf(parent.TenantId));

        await account.PostJsonAsync("/v2/tenants", new { name = "First", key = secrets[0] }, HttpStatusCode.OK);

        // The one read of provisioning_keys an attempt makes asks for the key's hash (an index probe), not for all of the
        // tenant's keys: read through an instance that records its SQL.
        var reads = new ProvisioningKeyReads();
        await using var instance = new ConfiguredServiceFactory(service.ConnectionString, [], services: s =>
            s.ConfigureDbContext<Infrastructure.Persistence.ProvisioningDbContext>(o => o.AddInterceptors(reads)));
        using var recorded = instance.CreateClient();
        recorded.DefaultRequestHeaders.Authorization = account.DefaultRequestHeaders.Authorization;
        await recorded.PostJsonAsync("/v2/tenants", new { name = "Middle", key = secrets[17] }, HttpStatusCode.OK);
        var read = Assert.Single(reads.Commands);
        Assert.Contains("secret_hash = @", read);
        Assert.Equal(2, await ChildrenOf(parent.TenantId));
    }

    private sealed class ProvisioningKeyReads : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _commands = new();

        public IReadOnlyCollection<string> Commands => _commands;

        public override ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(
            System.Data.Common.DbCommand command, Microsoft.EntityFrameworkCore.Diagnostics.CommandEventData eventData,
            Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.Contains("FROM provisioning_keys", StringComparison.Ordinal))
            {
                _commands.Enqueue(command.CommandText);
            }

            return ValueTask.FromResult(result);
        }
    }

    [Fact]
    public async Task Tenants_NestAtMostFiveLevelsBelowTheRoot()
    {
        var client = service.Root();
        var created = new List<ProvisionedTenant>();
        for (var depth = 1; depth <= 5; depth++)
        {
            created.Add(await client.ProvisionAsync(name: $"Level {depth}"));
            client = service.Client(created[^1]);
        }

        var key = await client.CreateProvisioningKeyAsync();
        var body = await client.PostJsonAsync("/v2/tenants", new { name = "Level 6", key }, HttpStatusCode.BadRequest);
        Http.AssertV2Error(body, "bad_request");
        Assert.Equal(0, await ChildrenOf(created[^1].Id));
        await service.Root().DeleteJsonAsync($"/v2/tenants/{created[0].Id}");
    }

    private Task<int> ChildrenOf(string tenantId) =>
        service.QueryDbAsync(db => db.Tenants.CountAsync(t => t.ParentId == new TenantId(tenantId)));
}
