using System.Net;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>
/// Requests whose transactions wait for each other's rows behave as if they ran one after the other. A probe found a
/// service account's key creates racing an account key's delete of the app (or of its tenant) deadlocked (40P01: PostgreSQL
/// rolls one back) in 5 to 8 of 15 rounds, and the delete answered 500. The delete now takes the grants first, as the
/// service account does (<c>ICascadeLocks</c>); and a transaction PostgreSQL rolls back for a deadlock anyway runs again.
/// <para>Since a rolled-back transaction runs again, a deadlock no longer shows in the answers or in the database: each test
/// of a lock order asserts that neither request was run again ("running it again" in the log with its request id). That
/// assertion is what fails without the order; the others describe what the answers are with it.</para>
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class DeadlockTests(ServiceFixture service)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AServiceAccountsKeyCreate_AndTheAppsDelete_TakeTheirLocksInOneOrder_AndAnswerInTurn(bool withIdempotencyKey)
    {
        var (tenant, account, appId, _, asServiceAccount) = await GrantedAppAsync();
        using var disposeAccount = account;
        using var disposeServiceAccount = asServiceAccount;

        // The order that deadlocked, made certain: the key create locks its grant, then waits for the tenant's row (held
        // here); the delete comes next. It removed the app and waited for the grant (its cascade) while the key create,
        // once the tenant's row was free, needed the app's row. Now it waits for the grant before anything else.
        await using var held = await HeldRow.LockAsync(service.ConnectionString, "tenants", tenant.TenantId);
        var waitingBefore = await held.WaitingAsync();
        var created = asServiceAccount.SendAsync(Keyed(new HttpRequestMessage(HttpMethod.Post, $"/v2/apps/{appId}/keys")
            { Content = Http.Json(new { displayName = "racing" }) }, withIdempotencyKey));
        await held.UntilWaitingAsync(waitingBefore + 1);
        var (deleted, requestId) = Send(account, new HttpRequestMessage(HttpMethod.Delete, $"/v2/apps/{appId}"), withIdempotencyKey);
        await held.UntilWaitingAsync(waitingBefore + 2);
        await held.ReleaseAsync();

        using var createAnswer = await created;
        using var deleteAnswer = await deleted;
        Assert.True(deleteAnswer.StatusCode == HttpStatusCode.OK, $"delete: {deleteAnswer.StatusCode} {await deleteAnswer.Content.ReadAsStringAsync()}");
        Assert.True(createAnswer.StatusCode == HttpStatusCode.Created,
            $"key create: {createAnswer.StatusCode} {await createAnswer.Content.ReadAsStringAsync()}");
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM apps WHERE id = $1", appId));
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM api_keys WHERE app_id = $1", appId));
        // No deadlock, so nothing ran twice.
        AssertNoneRanAgain(requestId);

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
        var (tenant, account, appId, serviceAccount, asServiceAccount) = await GrantedAppAsync();
        using var disposeAccount = account;
        using var disposeServiceAccount = asServiceAccount;

        // A deadlock with this test's own transaction: it holds the tenant's row; the key create locks its grant and
        // waits for that row; this transaction then asks for the grant. The key create, waiting longer, is the one
        // PostgreSQL rolls back (40P01), and this transaction goes on and commits. Which one that is depends on whose
        // deadlock_timeout runs out first (the session that checks rolls itself back): on a loaded machine this one's
        // did now and then (a CI run), so this session waits 30 s before it checks.
        await using var held = await HeldRow.LockAsync(service.ConnectionString, "tenants", tenant.TenantId);
        var waitingBefore = await held.WaitingAsync();
        var (created, requestId) = Send(asServiceAccount, new HttpRequestMessage(HttpMethod.Post, $"/v2/apps/{appId}/keys")
            { Content = Http.Json(new { displayName = "racing" }) }, withIdempotencyKey);
        await held.UntilWaitingAsync(waitingBefore + 1);
        await held.ExecuteAsync($"SET LOCAL deadlock_timeout = '30s'; SELECT 1 FROM app_grants WHERE app_id = '{appId}' AND service_account_id = '{serviceAccount.Id}' FOR UPDATE; COMMIT");

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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AServiceAccountsDelete_AndItsTenantsDelete_TakeTheGrantsInOneOrder_AndAnswerInTurn(bool withIdempotencyKey)
    {
        // A service account granted two apps of its tenant. The tenant's delete locks the subtree's grants in key order
        // (ICascadeLocks), then the budgets, then deletes the tenant, whose cascade reaches the account's row. The account's
        // delete took its row first and reached its grants through the cascade: each waited for the other (40P01, seen in
        // a probe). Made certain here: this test holds the account's later grant, so the tenant's delete holds the earlier
        // one and waits; the account's delete comes next.
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var serviceAccount = await account.CreateServiceAccountAsync();
        foreach (var name in new[] { "first", "second" })
        {
            await account.PutJsonAsync($"/v2/serviceaccounts/{serviceAccount.Id}/apps/{await account.CreateAppAsync(name)}", null);
        }

        using var root = service.Root();
        await using var held = await HeldRow.BeginAsync(service.ConnectionString);
        await held.ExecuteAsync($"""
            SELECT 1 FROM app_grants WHERE service_account_id = '{serviceAccount.Id}'
            ORDER BY app_id DESC LIMIT 1 FOR UPDATE
            """);
        var waitingBefore = await held.WaitingAsync();
        var (tenantDeleted, tenantRequest) = Send(root, new HttpRequestMessage(HttpMethod.Delete, $"/v2/tenants/{tenant.TenantId}"), withIdempotencyKey);
        await held.UntilWaitingAsync(waitingBefore + 1);
        var (accountDeleted, accountRequest) = Send(account, new HttpRequestMessage(HttpMethod.Delete, $"/v2/serviceaccounts/{serviceAccount.Id}"), withIdempotencyKey);
        await held.UntilWaitingAsync(waitingBefore + 2);
        await held.ReleaseAsync();

        using var tenantAnswer = await tenantDeleted;
        using var accountAnswer = await accountDeleted;
        Assert.True(tenantAnswer.StatusCode == HttpStatusCode.OK, $"tenant: {tenantAnswer.StatusCode} {await tenantAnswer.Content.ReadAsStringAsync()}");
        // The account went with its tenant before its own delete had its turn, and so did the key that asked: 401, the
        // answer that key has from now on.
        Assert.True(accountAnswer.StatusCode == HttpStatusCode.Unauthorized,
            $"service account: {accountAnswer.StatusCode} {await accountAnswer.Content.ReadAsStringAsync()}");
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM service_accounts WHERE id = $1", serviceAccount.Id));
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM app_grants WHERE service_account_id = $1", serviceAccount.Id));
        // No deadlock, so nothing ran twice.
        AssertNoneRanAgain(tenantRequest, accountRequest);
    }

    [Fact]
    public async Task ABudgetChange_AndAnAncestorsDelete_TakeTheParentBeforeTheChild_AndAnswerInTurn()
    {
        // A budget change updates the tenant's row twice (the save, then the recount), and PostgreSQL checks the parent key
        // on the second: the parent's row, after the child's. A delete of the parent locks it first and reaches the child
        // through its cascade: each waited for the other (40P01, a probe). Made certain here: this test holds the child's
        // row shared (FOR KEY SHARE), which the delete waits for and the budget change does not.
        var top = await service.NewTenantAsync(name: "Top");
        using var asTop = top.Client();
        var parent = await asTop.ProvisionAsync(name: "Parent");
        using var asParent = service.Client(parent);
        var child = await asParent.ProvisionAsync(name: "Child");

        await using var held = await HeldRow.BeginAsync(service.ConnectionString);
        await held.ExecuteAsync($"SELECT 1 FROM tenants WHERE id = '{child.Id}' FOR KEY SHARE");
        var waitingBefore = await held.WaitingAsync();
        var (deleted, deleteRequest) = Send(asTop, new HttpRequestMessage(HttpMethod.Delete, $"/v2/tenants/{parent.Id}"));
        await held.UntilWaitingAsync(waitingBefore + 1);
        var (budgeted, budgetRequest) = Send(asTop, new HttpRequestMessage(HttpMethod.Patch, $"/v2/tenants/{child.Id}")
            { Content = Http.Json(new { maxApps = 5 }) });
        await held.UntilWaitingAsync(waitingBefore + 2);
        await held.ReleaseAsync();

        using var deleteAnswer = await deleted;
        using var budgetAnswer = await budgeted;
        Assert.True(deleteAnswer.StatusCode == HttpStatusCode.OK, $"delete: {deleteAnswer.StatusCode} {await deleteAnswer.Content.ReadAsStringAsync()}");
        // The child went with its parent before the budget change had its turn: 404, the answer it would have had a moment later.
        Assert.True(budgetAnswer.StatusCode == HttpStatusCode.NotFound, $"budget: {budgetAnswer.StatusCode} {await budgetAnswer.Content.ReadAsStringAsync()}");
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM tenants WHERE id = $1 OR id = $2", parent.Id, child.Id));
        // No deadlock, so nothing ran twice.
        AssertNoneRanAgain(deleteRequest, budgetRequest);
    }

    [Fact]
    public async Task GrantsInFlight_AndTheirTenantsDelete_AnswerInTurn()
    {
        // A grant holds its service account's row and then references the app; the tenant's delete removed the app in its
        // cascade and then reached the account: each waited for the other (40P01, a probe: about four a round of six grants
        // against one delete). The delete now holds the subtree's accounts before its cascade, so a grant in flight finishes
        // first and a later one waits for it. Rounds of six grants sent with the delete: no deadlock in any.
        using var root = service.Root();
        var requestIds = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            var tenant = await service.NewTenantAsync(name: $"Granting {round}");
            using var account = tenant.Client();
            var serviceAccount = await account.CreateServiceAccountAsync();
            var apps = new List<string>();
            for (var i = 0; i < 6; i++)
            {
                apps.Add(await account.CreateAppAsync($"Granted {i}"));
            }

            Task<HttpResponseMessage> Tracked(HttpClient client, HttpRequestMessage request)
            {
                var (answer, id) = Send(client, request);
                requestIds.Add(id);
                return answer;
            }

            var grants = apps.Select(app => Tracked(account, new HttpRequestMessage(HttpMethod.Put, $"/v2/serviceaccounts/{serviceAccount.Id}/apps/{app}"))).ToList();
            var deleted = Tracked(root, new HttpRequestMessage(HttpMethod.Delete, $"/v2/tenants/{tenant.TenantId}"));
            using var deleteAnswer = await deleted;
            Assert.True(deleteAnswer.StatusCode == HttpStatusCode.OK, $"delete: {deleteAnswer.StatusCode} {await deleteAnswer.Content.ReadAsStringAsync()}");
            foreach (var grant in grants)
            {
                // Made before the delete (200), or after it, by a key that went with the tenant (401).
                using var answer = await grant;
                Assert.True(answer.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized,
                    $"grant: {answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            }

            Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM app_grants WHERE service_account_id = $1", serviceAccount.Id));
        }

        AssertNoneRanAgain([.. requestIds]);
    }

    [Fact]
    public async Task AServiceAccountsDeleteOfAnApp_AndItsTenantsDelete_AnswerInTurn()
    {
        // Two service accounts granted one app. The app's delete by the later one locked its own grant (the access check), then
        // the app's other grants in key order; the tenant's delete locks the app's grants in key order, the earlier account's
        // first: each waited for the other (40P01, a review). Two changes prevent it, each alone: the app's delete waits for
        // its tenant's (WaitForDeletionsAsync), and it takes the app's grants in key order before its own is checked. Here
        // this test holds the earlier account's grant, so the tenant's delete waits for it, and the app's delete comes next.
        var (tenant, account, appId, high, asHigh, held) = await AppOfTwoServiceAccountsAsync();
        using var disposeAccount = account;
        using var disposeHigh = asHigh;
        await using var disposeHeld = held;
        using var root = service.Root();
        var waitingBefore = await held.WaitingAsync();
        var (tenantDeleted, tenantRequest) = Send(root, new HttpRequestMessage(HttpMethod.Delete, $"/v2/tenants/{tenant.TenantId}"));
        await held.UntilWaitingAsync(waitingBefore + 1);
        var (appDeleted, appRequest) = Send(asHigh, new HttpRequestMessage(HttpMethod.Delete, $"/v2/apps/{appId}"));
        await held.UntilWaitingAsync(waitingBefore + 2);
        await held.ReleaseAsync();

        using var tenantAnswer = await tenantDeleted;
        using var appAnswer = await appDeleted;
        Assert.True(tenantAnswer.StatusCode == HttpStatusCode.OK, $"tenant: {tenantAnswer.StatusCode} {await tenantAnswer.Content.ReadAsStringAsync()}");
        // The app went with its tenant before its own delete had its turn, and so did the key that asked: 401.
        Assert.True(appAnswer.StatusCode == HttpStatusCode.Unauthorized, $"app: {appAnswer.StatusCode} {await appAnswer.Content.ReadAsStringAsync()}");
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM apps WHERE id = $1", appId));
        // No deadlock, so nothing ran twice.
        AssertNoneRanAgain(tenantRequest, appRequest);
    }

    [Fact]
    public async Task DeletionsOfATenant_AndOfWhatIsInIt_WaitForEachOther_BeforeAnyRow()
    {
        // Deletes lock the grants there are when they start; a grant made in between was locked by the other delete, and the
        // two waited for each other (40P01 in a deadlock hunt: a tenant deleted twice at once, a tenant's delete with its
        // app's or service account's). They now wait for each other first (ICascadeLocks.WaitForDeletionsAsync), holding
        // nothing. Here the first delete of the tenant waits for a grant this test holds; a second delete of it, and deletes
        // of its app and of its service account, wait for the first on the deletions' locks, not on a row.
        var (tenant, account, appId, serviceAccount, _) = await GrantedAppAsync();
        using var disposeAccount = account;
        using var root = service.Root();
        await using var held = await HeldRow.BeginAsync(service.ConnectionString);
        await held.ExecuteAsync($"SELECT 1 FROM app_grants WHERE app_id = '{appId}' FOR UPDATE");
        var waitingBefore = await held.WaitingAsync();
        var requests = new List<string>();
        Task<HttpResponseMessage> Delete(HttpClient client, string path)
        {
            var (answer, id) = Send(client, new HttpRequestMessage(HttpMethod.Delete, path));
            requests.Add(id);
            return answer;
        }

        var first = Delete(root, $"/v2/tenants/{tenant.TenantId}");
        await held.UntilWaitingAsync(waitingBefore + 1);
        var again = Delete(root, $"/v2/tenants/{tenant.TenantId}");
        var app = Delete(account, $"/v2/apps/{appId}");
        var ofAccount = Delete(account, $"/v2/serviceaccounts/{serviceAccount.Id}");
        await held.UntilWaitingAsync(3, TimeSpan.FromSeconds(15), HeldRow.AdvisoryLock);
        await held.ReleaseAsync();

        using var firstAnswer = await first;
        using var againAnswer = await again;
        using var appAnswer = await app;
        using var accountAnswer = await ofAccount;
        Assert.Equal(HttpStatusCode.OK, firstAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, againAnswer.StatusCode); // the tenant is gone
        Assert.Equal(HttpStatusCode.Unauthorized, appAnswer.StatusCode); // and with it the key that asked
        Assert.Equal(HttpStatusCode.Unauthorized, accountAnswer.StatusCode);
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM apps WHERE id = $1", appId));
        AssertNoneRanAgain([.. requests]);
    }

    [Fact]
    public async Task AGrantRevokedWhileTheAppsDeleteByItsServiceAccountWaits_MakesTheDelete404_AndTheAppStays()
    {
        // The app's delete checks the caller's grant again once it holds the app's grants: a revoke that committed while the
        // delete waited takes the service account's reach, so the delete is the 404 it would have been a moment later.
        // Here the delete waits for another account's grant, which this test holds and which comes first in key order.
        var (_, account, appId, high, asHigh, held) = await AppOfTwoServiceAccountsAsync();
        using var disposeAccount = account;
        using var disposeHigh = asHigh;
        await using var disposeHeld = held;
        var waitingBefore = await held.WaitingAsync();
        var deleted = asHigh.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/v2/apps/{appId}"));
        await held.UntilWaitingAsync(waitingBefore + 1);
        await account.DeleteJsonAsync($"/v2/serviceaccounts/{high.Id}/apps/{appId}");
        await held.ReleaseAsync();

        using var answer = await deleted;
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.NotFound, $"{answer.StatusCode} {body}");
        Http.AssertV2Error(System.Text.Json.Nodes.JsonNode.Parse(body)!, "app_not_found");
        Assert.Equal(1, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM apps WHERE id = $1", appId));
    }

    /// <summary>
    /// An app granted to two service accounts, the later one in key order ("high") with its client, and a transaction of the
    /// test's own holding the earlier one's grant: what locks the app's grants in key order waits for it first.
    /// </summary>
    private async Task<(TestTenant Tenant, HttpClient Account, string AppId, TestServiceAccount High, HttpClient AsHigh, HeldRow Held)> AppOfTwoServiceAccountsAsync()
    {
        var (tenant, account, appId, first, asFirst) = await GrantedAppAsync();
        asFirst.Dispose();
        var second = await account.CreateServiceAccountAsync();
        await account.PutJsonAsync($"/v2/serviceaccounts/{second.Id}/apps/{appId}", null);
        var (low, high) = string.CompareOrdinal(first.Id, second.Id) < 0 ? (first, second) : (second, first);
        var held = await HeldRow.BeginAsync(service.ConnectionString);
        await held.ExecuteAsync($"SELECT 1 FROM app_grants WHERE app_id = '{appId}' AND service_account_id = '{low.Id}' FOR UPDATE");
        return (tenant, account, appId, high, service.Basic(high.Key), held);
    }

    /// <summary>No request of <paramref name="requestIds"/> was rolled back for a deadlock and run again (see the class).</summary>
    private void AssertNoneRanAgain(params string[] requestIds) =>
        Assert.DoesNotContain(service.Factory.Logs.Lines, line => requestIds.Any(id => line.Contains(id, StringComparison.Ordinal))
            && line.Contains("running it again", StringComparison.Ordinal));

    /// <summary>A tenant with an app and a service account granted to it; the account's client and the service account's.</summary>
    private async Task<(TestTenant Tenant, HttpClient Account, string AppId, TestServiceAccount ServiceAccount, HttpClient AsServiceAccount)> GrantedAppAsync()
    {
        var tenant = await service.NewTenantAsync();
        var account = tenant.Client();
        var appId = await account.CreateAppAsync("deadlocked");
        var serviceAccount = await account.CreateServiceAccountAsync();
        await account.PutJsonAsync($"/v2/serviceaccounts/{serviceAccount.Id}/apps/{appId}", null);
        return (tenant, account, appId, serviceAccount, service.Basic(serviceAccount.Key));
    }

    /// <summary>
    /// Sends <paramref name="request"/> under a request id of its own, returned with the answer: the log's lines of the
    /// request carry it (<see cref="AssertNoneRanAgain"/>).
    /// </summary>
    private static (Task<HttpResponseMessage> Answer, string RequestId) Send(HttpClient client, HttpRequestMessage request, bool withIdempotencyKey = false)
    {
        var requestId = "deadlock-" + Guid.NewGuid().ToString("N");
        return (client.SendAsync(Keyed(request, withIdempotencyKey, requestId)), requestId);
    }

    private static HttpRequestMessage Keyed(HttpRequestMessage request, bool withIdempotencyKey, string? requestId = null)
    {
        if (requestId is not null)
        {
            request.Headers.Add("X-Request-Id", requestId);
        }

        if (withIdempotencyKey)
        {
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        }

        return request;
    }
}
