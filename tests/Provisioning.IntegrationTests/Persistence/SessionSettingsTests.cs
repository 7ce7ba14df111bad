using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Infrastructure.Persistence;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>
/// The service's sessions tell PostgreSQL to end them when their instance is gone: one that vanished mid-request (host
/// gone, network cut) stayed "idle in transaction" with an Idempotency-Key's claim and a budget's row locks for the two
/// hours of the default keepalive, so retries got 409 and the subtree's creates 503 (a probe).
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class SessionSettingsTests(ServiceFixture service)
{
    [Fact]
    public async Task EverySessionOfThePool_EndsAfterAMinuteIdleInATransaction_AndSoonAfterItsPeerIsGone()
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
                                         current_setting('tcp_keepalives_interval'), current_setting('tcp_keepalives_count')) AS "Value"
                        """)
                    .SingleAsync();
                // Keepalives read 0 on a Unix socket, where the server ignores them; the fixture connects over TCP.
                Assert.Equal("1min 10 5 3", settings);
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
}
