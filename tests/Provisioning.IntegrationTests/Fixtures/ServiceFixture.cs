using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Credentials;
using Provisioning.Domain.Tenants;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// One running service for the whole test run: a real PostgreSQL (see <see cref="PostgresServer"/>),
/// migrations applied and the root tenant bootstrapped by the service's own start-up, served by
/// Kestrel on a free loopback port so that out-of-process clients (the npm clients) can reach it too.
/// Tests isolate themselves by working in a tenant of their own (<see cref="NewTenantAsync"/>).
/// </summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    public const string RootKeyId = "act_0000000000000000000000aa";
    public const string RootSecret = "root-secret-for-integration-tests-only-0123456789";
    public static readonly string MasterKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    /// <summary>
    /// <c>/readyz</c> checks on every probe (not reusing a result for a second): tests change the database and ask at once.
    /// </summary>
    public static readonly KeyValuePair<string, string?> EveryProbeChecks = new("Provisioning:Readiness:ReuseMilliseconds", "0");

    /// <summary>
    /// The settings that bootstrap an instance's root with this fixture's root key (<see cref="RootKeyId"/>,
    /// <see cref="RootSecret"/>), for a <see cref="ConfiguredServiceFactory"/>; <paramref name="rateLimited"/> false turns
    /// the per-credential rate limit off (tests that send more than a minute's permits). Add the test's own settings to it.
    /// (<c>/readyz</c> checks on every probe: <see cref="EveryProbeChecks"/>.)
    /// </summary>
    public static Dictionary<string, string?> RootKeySettings(bool rateLimited = true)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Provisioning:Bootstrap:KeyId"] = RootKeyId,
            ["Provisioning:Bootstrap:Secret"] = RootSecret,
            [EveryProbeChecks.Key] = EveryProbeChecks.Value,
        };
        if (!rateLimited)
        {
            settings["Provisioning:RateLimit:PermitsPerMinute"] = "0";
        }

        return settings;
    }

    private PostgresServer? _postgres;

    /// <summary>The PostgreSQL server, for tests that need a database of their own.</summary>
    public PostgresServer Postgres => _postgres ?? throw new InvalidOperationException("The fixture has not started.");

    public ServiceFactory Factory { get; private set; } = null!;
    public string ConnectionString { get; private set; } = null!;

    /// <summary>The service's base address, e.g. http://127.0.0.1:41234.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        ConnectionString = await _postgres.CreateDatabaseAsync("provisioning_it_" + Guid.NewGuid().ToString("N")[..8]);
        Factory = new ServiceFactory(ConnectionString);
        Factory.UseKestrel(0);
        Factory.StartServer();
        var addresses = Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        BaseAddress = new Uri(addresses.Addresses.First().Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1"));
    }

    public async Task DisposeAsync()
    {
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    /// <summary>A client with no credentials.</summary>
    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress };

    /// <summary>A client authenticating with Basic <c>keyId:secret</c>.</summary>
    public HttpClient WithBasic(string keyId, string secret)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = BasicHeader(keyId, secret);
        return client;
    }

    /// <summary>A client sending <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public HttpClient WithBearer(string token)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static AuthenticationHeaderValue BasicHeader(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    /// <summary>The root tenant's client.</summary>
    public HttpClient Root() => WithBasic(RootKeyId, RootSecret);

    /// <summary>A fresh child tenant of the root with an account key, so a test sees only its own data.</summary>
    public async Task<TestTenant> NewTenantAsync(int? maxApps = null, string name = "Test tenant")
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        var protector = scope.ServiceProvider.GetRequiredService<ISecretProtector>();
        var secrets = scope.ServiceProvider.GetRequiredService<ISecretGenerator>();
        var root = await db.Tenants.SingleAsync(t => t.ParentId == null);
        var now = DateTimeOffset.UtcNow;
        var tenant = root.CreateChild(name, null, null, null, null, now);
        tenant.ChangeMaxApps(maxApps, root);
        var secret = secrets.NewSecret();
        var key = ApiKey.ForAccount(tenant.Id, "Test key", Application.Keys.KeySecrets.ProtectFor(protector, secret), now);
        db.Tenants.Add(tenant);
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync();
        return new TestTenant(this, tenant.Id.Value, key.Id.Value, secret);
    }

    /// <summary>Runs a query against the database directly, to check what a request left behind.</summary>
    public async Task<T> QueryDbAsync<T>(Func<ProvisioningDbContext, Task<T>> query)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        return await query(db);
    }
}
