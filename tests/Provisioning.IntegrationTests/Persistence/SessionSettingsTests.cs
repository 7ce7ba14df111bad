using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Provisioning.Infrastructure.Persistence;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>
/// The service's sessions tell PostgreSQL to end them when their instance is gone: one that vanished mid-request (host
/// gone, network cut) stayed "idle in transaction" with an Idempotency-Key's claim and a budget's row locks for the two
/// hours of the default keepalive, so retries got 409 and the subtree's creates 503 (a probe); and one whose process died
/// mid-statement or while waiting for a lock ran on until its first answer (an upgrade probe).
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class SessionSettingsTests(ServiceFixture service)
{
    [Fact]
    public async Task EverySessionOfThePool_EndsAfterAMinuteIdleInATransaction_AndSoonAfterItsPeerIsGone_EvenMidStatement()
    {
        // Several contexts at once, so that more than one physical connection of the pool is looked at.
        var scopes = Enumerable.Range(0, 3).Select(_ => service.Factory.Services.CreateAsyncScope()).ToList();
        try
        {
            foreach (var scope in scopes)
            {
                var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
                await db.Database.OpenConnectionAsync();
                var settings = await db.Database.SqlQueryRaw<string>(
                        """
                        SELECT concat_ws(' ', current_setting('idle_in_transaction_session_timeout'), current_setting('tcp_keepalives_idle'),
                                         current_setting('tcp_keepalives_interval'), current_setting('tcp_keepalives_count'),
                                         CASE WHEN current_setting('server_version_num')::int >= 140000
                                              THEN current_setting('client_connection_check_interval', true) ELSE '5s' END) AS "Value"
                        """)
                    .SingleAsync();
                // Keepalives read 0 on a Unix socket, where the server ignores them; the fixture connects over TCP.
                // (The client check where the server has it: PostgreSQL 14 and later, on Linux here.)
                Assert.Equal("1min 10 5 3 5s", settings);
            }
        }
        finally
        {
            foreach (var scope in scopes)
            {
                await scope.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ASessionWaitingForALock_EndsSoonAfterItsClientIsGone_NotWhenTheLockComesFree()
    {
        // A backend waiting for a lock does not read its socket: the migrate a probe killed mid-wait kept the migrations'
        // history locked until the lock it waited for came free. Here the service's pool waits through a proxy, which is cut.
        var database = await service.Postgres.CreateMigratedDatabaseAsync("gone_" + Guid.NewGuid().ToString("N")[..8]);
        await Sql.ExecuteAsync(database, "CREATE TABLE held (x int)");
        var (proxy, viaProxy) = TcpProxy.InFrontOf(database);
        await using var _ = proxy;
        await using var factory = new ConfiguredServiceFactory(viaProxy, ServiceFixture.RootKeySettings());
        var pool = factory.Services.GetRequiredService<NpgsqlDataSource>();

        await using var holder = new NpgsqlConnection(database);
        await holder.OpenAsync();
        await using (var take = new NpgsqlCommand("BEGIN; LOCK TABLE held IN ACCESS EXCLUSIVE MODE", holder))
        {
            await take.ExecuteNonQueryAsync();
        }

        await using var waiter = await pool.OpenConnectionAsync();
        var pid = waiter.ProcessID;
        await using var wait = new NpgsqlCommand("SELECT count(*) FROM held", waiter);
        var waiting = wait.ExecuteScalarAsync();
        const string Waits = "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await Sql.CountAsync(database, Waits, pid) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, await Sql.CountAsync(database, Waits, pid));
        proxy.Cut();
        await Assert.ThrowsAnyAsync<Exception>(() => waiting);
        const string Exists = "SELECT count(*) FROM pg_stat_activity WHERE pid = $1";
        deadline = DateTime.UtcNow.AddSeconds(30);
        while (await Sql.CountAsync(database, Exists, pid) == 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(await Sql.CountAsync(database, Exists, pid) == 0, "the session whose client is gone still waits for the lock");
    }
}
