using System.Net;
using Npgsql;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>
/// Two requests whose transactions PostgreSQL finds waiting for each other (40P01: it rolls one back) behave as if they ran
/// one after the other: the rolled-back one runs again. Before, it answered 500 and its change was lost (a probe: a
/// service account's key creates racing an account key's delete of the app, 5 to 8 of 15 rounds).
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class DeadlockTests(ServiceFixture service)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AServiceAccountsKeyCreate_AndTheAppsDelete_WaitingForEachOther_BothAnswerAsIfInTurn(bool withIdempotencyKey)
    {
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var appId = await account.CreateAppAsync("deadlocked");
        var serviceAccount = await account.CreateServiceAccountAsync();
        await account.PutJsonAsync($"/v2/serviceaccounts/{serviceAccount.Id}/apps/{appId}", null);
        using var asServiceAccount = service.Basic(serviceAccount.Key);

        // The order that deadlocks, made certain: the key create locks its grant, then waits for the tenant's row (held
        // here); the delete then removes the app and waits for the grant (its cascade); once the tenant's row is free the
        // key create needs the app's row, which the delete holds.
        await using var holder = new NpgsqlConnection(service.ConnectionString);
        await holder.OpenAsync();
        await using (var hold = new NpgsqlCommand($"BEGIN; SELECT 1 FROM tenants WHERE id = '{tenant.TenantId}' FOR UPDATE", holder))
        {
            await hold.ExecuteNonQueryAsync();
        }

        var waitingBefore = await WaitingForLocksAsync();
        using var create = new HttpRequestMessage(HttpMethod.Post, $"/v2/apps/{appId}/keys") { Content = Http.Json(new { displayName = "racing" }) };
        if (withIdempotencyKey)
        {
            create.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        }

        var created = asServiceAccount.SendAsync(create);
        await UntilAsync(async () => await WaitingForLocksAsync() > waitingBefore);
        // PostgreSQL rolls back the delete here (the one waiting longest); with a key, its retry runs inside the
        // Idempotency-Key's transaction, with the request body read again.
        using var delete = new HttpRequestMessage(HttpMethod.Delete, $"/v2/apps/{appId}");
        var requestId = "deadlock-" + Guid.NewGuid().ToString("N");
        delete.Headers.Add("X-Request-Id", requestId);
        if (withIdempotencyKey)
        {
            delete.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        }

        var deleted = account.SendAsync(delete);
        await UntilAsync(async () => await WaitingForLocksAsync() > waitingBefore + 1);
        await using (var release = new NpgsqlCommand("COMMIT", holder))
        {
            await release.ExecuteNonQueryAsync();
        }

        using var createAnswer = await created;
        using var deleteAnswer = await deleted;
        Assert.True(deleteAnswer.StatusCode == HttpStatusCode.OK, $"delete: {deleteAnswer.StatusCode} {await deleteAnswer.Content.ReadAsStringAsync()}");
        Assert.True(createAnswer.StatusCode is HttpStatusCode.Created or HttpStatusCode.NotFound,
            $"key create: {createAnswer.StatusCode} {await createAnswer.Content.ReadAsStringAsync()}");
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM apps WHERE id = $1", appId));
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM api_keys WHERE app_id = $1", appId));
        // The retry is logged, with the client's request id and the caller (the log line names the same request as its answer).
        Assert.Contains(service.Factory.Logs.Lines, line => line.StartsWith("Warning", StringComparison.Ordinal)
            && line.Contains("running it again", StringComparison.Ordinal)
            && line.Contains($"RequestId:{requestId} TenantId:{tenant.TenantId} KeyId:{tenant.KeyId}", StringComparison.Ordinal));

        // One event per change that happened: one delete, and one key if it was made before it.
        Assert.Equal(1, await Sql.CountAsync(service.ConnectionString,
            "SELECT count(*) FROM audit_events WHERE resource_id = $1 AND type = 'app.deleted'", appId));
        Assert.Equal(createAnswer.StatusCode == HttpStatusCode.Created ? 1 : 0, await Sql.CountAsync(service.ConnectionString,
            "SELECT count(*) FROM audit_events WHERE related_id = $1 AND type = 'appKey.created'", appId));
    }

    private Task<int> WaitingForLocksAsync() => Sql.CountAsync(service.ConnectionString,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200 && !await condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(await condition(), "the requests did not reach the lock waits this test arranges");
    }
}
