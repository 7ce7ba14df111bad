using System.Net;
using Npgsql;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>
/// Requests whose transactions wait for each other's rows behave as if they ran one after the other. A probe found a
/// service account's key creates racing an account key's delete of the app (or of its tenant) deadlocked (40P01: PostgreSQL
/// rolls one back) in 5 to 8 of 15 rounds, and the delete answered 500. The delete now takes the grants first, as the
/// service account does (<c>ICascadeLocks</c>); and a transaction PostgreSQL rolls back for a deadlock anyway runs again.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class DeadlockTests(ServiceFixture service)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AServiceAccountsKeyCreate_AndTheAppsDelete_TakeTheirLocksInOneOrder_AndAnswerInTurn(bool withIdempotencyKey)
    {
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var appId = await account.CreateAppAsync("deadlocked");
        var serviceAccount = await account.CreateServiceAccountAsync();
        await account.PutJsonAsync($"/v2/serviceaccounts/{serviceAccount.Id}/apps/{appId}", null);
        using var asServiceAccount = service.Basic(serviceAccount.Key);

        // The order that deadlocked, made certain: the key create locks its grant, then waits for the tenant's row (held
        // here); the delete comes next. It removed the app and waited for the grant (its cascade) while the key create,
        // once the tenant's row was free, needed the app's row. Now it waits for the grant before anything else.
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
        Assert.True(createAnswer.StatusCode == HttpStatusCode.Created,
            $"key create: {createAnswer.StatusCode} {await createAnswer.Content.ReadAsStringAsync()}");
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM apps WHERE id = $1", appId));
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM api_keys WHERE app_id = $1", appId));
        // No deadlock, so nothing ran twice.
        Assert.DoesNotContain(service.Factory.Logs.Lines, line => line.Contains(requestId, StringComparison.Ordinal)
            && line.Contains("running it again", StringComparison.Ordinal));

        // One event per change that happened: one delete, and one key if it was made before it.
        Assert.Equal(1, await Sql.CountAsync(service.ConnectionString,
            "SELECT count(*) FROM audit_events WHERE resource_id = $1 AND type = 'app.deleted'", appId));
        Assert.Equal(1, await Sql.CountAsync(service.ConnectionString,
            "SELECT count(*) FROM audit_events WHERE related_id = $1 AND type = 'appKey.created'", appId));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ARequestPostgreSqlRollsBackForADeadlock_RunsAgain_AndAnswersAsIfNothingHappened(bool withIdempotencyKey)
    {
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var appId = await account.CreateAppAsync("deadlocked");
        var serviceAccount = await account.CreateServiceAccountAsync();
        await account.PutJsonAsync($"/v2/serviceaccounts/{serviceAccount.Id}/apps/{appId}", null);
        using var asServiceAccount = service.Basic(serviceAccount.Key);

        // A deadlock with this test's own transaction: it holds the tenant's row; the key create locks its grant and
        // waits for that row; this transaction then asks for the grant. The key create, waiting longer, is the one
        // PostgreSQL rolls back (40P01), and this transaction goes on and commits.
        await using var holder = new NpgsqlConnection(service.ConnectionString);
        await holder.OpenAsync();
        await using (var hold = new NpgsqlCommand($"BEGIN; SELECT 1 FROM tenants WHERE id = '{tenant.TenantId}' FOR UPDATE", holder))
        {
            await hold.ExecuteNonQueryAsync();
        }

        var waitingBefore = await WaitingForLocksAsync();
        using var create = new HttpRequestMessage(HttpMethod.Post, $"/v2/apps/{appId}/keys") { Content = Http.Json(new { displayName = "racing" }) };
        var requestId = "deadlock-" + Guid.NewGuid().ToString("N");
        create.Headers.Add("X-Request-Id", requestId);
        if (withIdempotencyKey)
        {
            create.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        }

        var created = asServiceAccount.SendAsync(create);
        await UntilAsync(async () => await WaitingForLocksAsync() > waitingBefore);
        await using (var cycle = new NpgsqlCommand(
            $"SELECT 1 FROM app_grants WHERE app_id = '{appId}' AND service_account_id = '{serviceAccount.Id}' FOR UPDATE; COMMIT", holder))
        {
            await cycle.ExecuteNonQueryAsync();
        }

        using var answer = await created;
        Assert.True(answer.StatusCode == HttpStatusCode.Created, $"{answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        Assert.Equal(1, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM api_keys WHERE app_id = $1", appId));
        Assert.Equal(1, await Sql.CountAsync(service.ConnectionString,
            "SELECT count(*) FROM audit_events WHERE related_id = $1 AND type = 'appKey.created'", appId));
        // Logged once, as a Warning, with the client's request id and the caller.
        Assert.Single(service.Factory.Logs.Lines, line => line.StartsWith("Warning", StringComparison.Ordinal)
            && line.Contains("running it again", StringComparison.Ordinal)
            && line.Contains($"RequestId:{requestId} TenantId:{tenant.TenantId} KeyId:{serviceAccount.Key.Id}", StringComparison.Ordinal));
        Assert.DoesNotContain(service.Factory.Logs.Lines, line => line.StartsWith("Error", StringComparison.Ordinal)
            && line.Contains(requestId, StringComparison.Ordinal));
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
