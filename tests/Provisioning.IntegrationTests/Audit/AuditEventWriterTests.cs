using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Audit;
using Provisioning.Domain.Common;
using Provisioning.Infrastructure.Audit;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Audit;

/// <summary>
/// An event is sent with its change's COMMIT (Infrastructure/Audit/AuditEventWriter), not in the change's own statements:
/// when it cannot be written, PostgreSQL skips the COMMIT and the change goes too. Nothing is half-written, a keyed
/// request's answer is not kept (a retry runs afresh), and the next create, once the event can be written, has its event
/// and the viewer row the trigger adds.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class AuditEventWriterTests(ServiceFixture service)
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnEventThatCannotBeWritten_TakesItsChangeWithIt(bool withKey)
    {
        var database = await service.Postgres.CreateMigratedDatabaseAsync("event_fails_" + Guid.NewGuid().ToString("N")[..8]);
        await using var instance = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(rateLimited: false));
        using var client = await instance.CreateRootClientAsync();
        HttpRequestMessage Create(string name)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v2/apps") { Content = Json($$"""{"displayName":"{{name}}"}""") };
            if (withKey)
            {
                request.Headers.Add("Idempotency-Key", "event-fails");
            }

            return request;
        }

        // The database refuses this one kind of event (what a full disk or a broken trigger would do to every event).
        await Sql.ExecuteAsync(database, "ALTER TABLE audit_events ADD CONSTRAINT refuse_app_created CHECK (type <> 'app.created') NOT VALID");
        var eventsBefore = await Sql.CountAsync(database, "SELECT count(*) FROM audit_events");
        using (var refused = await client.SendAsync(Create("No event, no app")))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, refused.StatusCode);
        }

        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*) FROM apps"));
        Assert.Equal(0, await Sql.CountAsync(database, "SELECT coalesce(sum(apps), 0) FROM tenant_app_counts"));
        Assert.Equal(eventsBefore, await Sql.CountAsync(database, "SELECT count(*) FROM audit_events"));
        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*) FROM idempotency_records"));

        // Once events can be written again, the same request (with the same key: nothing was kept) runs and is audited.
        await Sql.ExecuteAsync(database, "ALTER TABLE audit_events DROP CONSTRAINT refuse_app_created");
        using var created = await client.SendAsync(Create("No event, no app"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.False(created.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM apps"));
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT coalesce(sum(apps), 0) FROM tenant_app_counts"));
        Assert.Equal(1, await Sql.CountAsync(database,
            "SELECT count(*) FROM audit_events e JOIN apps a ON a.id = e.resource_id AND a.tenant_id = e.tenant_id WHERE e.type = 'app.created'"));
        Assert.Equal(1, await Sql.CountAsync(database,
            "SELECT count(*) FROM audit_event_viewers v JOIN audit_events e ON e.id = v.event_id AND v.viewer_tenant_id = e.tenant_id WHERE e.type = 'app.created'"));
        Assert.Equal(withKey ? 1 : 0, await Sql.CountAsync(database, "SELECT count(*) FROM idempotency_records"));
    }

    /// <summary>The event's INSERT is written by hand: every column EF maps (and reads events back with) is in it, but the id the database makes.</summary>
    [Fact]
    public async Task TheWriter_WritesEveryColumnOfTheEvent()
    {
        var mapped = await service.QueryDbAsync(db => Task.FromResult(
            db.Model.FindEntityType(typeof(AuditEvent))!.GetProperties().Select(p => p.GetColumnName()).Order().ToList()));
        Assert.Equal(mapped.Where(c => c != "id"), AuditEventWriter.Columns.Order().ToList());
    }

    /// <summary>
    /// The writer's parameters are positional: one in the wrong place (two text columns swapped) would be stored without
    /// complaint. An event with every field set, sent by the writer, reads back through EF Core's mapping unchanged.
    /// </summary>
    [Fact]
    public async Task AnEventSentByTheWriter_ReadsBackThroughEfCore_FieldForField()
    {
        // Three tenants, so that no two tenant columns hold the same value (in real events the tenant and On-Behalf-Of
        // are often the same one; here a swap of any two columns must show).
        var actor = await service.NewTenantAsync(name: "Writer round trip");
        var eventTenant = await service.NewTenantAsync(name: "Writer round trip, the event's");
        var onBehalfOf = await service.NewTenantAsync(name: "Writer round trip, on behalf of");
        var written = AuditEvent.Create(
            AuditEventType.AppUpdated,
            new TenantId(eventTenant.TenantId),
            new AuditActor(actor.KeyId, "account", new TenantId(actor.TenantId)),
            new TenantId(onBehalfOf.TenantId),
            new AuditResource("app", "app_resource"),
            new AuditResource("serviceAccount", "sa_related"),
            ["displayName", "metadata"],
            "request-id",
            DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())); // PostgreSQL keeps microseconds

        await using (var scope = service.Factory.Services.CreateAsyncScope())
        {
            var unitOfWork = scope.ServiceProvider.GetRequiredService<IUnitOfWork>();
            var writer = scope.ServiceProvider.GetRequiredService<IAuditEventWriter>();
            await unitOfWork.InTransactionAsync(_ =>
            {
                writer.Write(written);
                return Task.FromResult(true);
            }, CancellationToken.None);
        }

        var read = await service.QueryDbAsync(db => db.AuditEvents.AsNoTracking().SingleAsync(e => e.ResourceId == "app_resource"));
        // The id is the database's, from its clock as the row went in: time-ordered like every id.
        Assert.Matches("^[0-9a-f]{24}$", read.Id);
        Assert.InRange(Convert.ToInt64(read.Id[..12], 16), written.CreatedAt.ToUnixTimeMilliseconds() - 60_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 60_000);
        foreach (var property in typeof(AuditEvent).GetProperties().Where(p => p.Name != nameof(AuditEvent.Id)))
        {
            Assert.Equivalent(new { property.Name, Value = property.GetValue(written) }, new { property.Name, Value = property.GetValue(read) }, strict: true);
        }
    }
}
