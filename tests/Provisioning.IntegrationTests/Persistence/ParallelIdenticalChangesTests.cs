using System.Net;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>
/// Identical changes sent in parallel behave as if sent one after the other: the first changes the row and writes its
/// event, the others find it changed and write none (events.md: a request that changes nothing writes nothing). Before,
/// each compared with the row as read before it waited for the row, and every one wrote an event (a probe: up to 16 of
/// 16 for a key disabled, a service account or tenant or app renamed).
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class ParallelIdenticalChangesTests(ServiceFixture service)
{
    public static TheoryData<string> Changes => ["account key disabled", "service account key disabled", "app key disabled",
        "provisioning key disabled", "service account renamed", "tenant renamed", "app renamed"];

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task TwoIdenticalChanges_WaitingForTheSameRow_WriteOneEvent(string change)
    {
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var appId = await account.CreateAppAsync("parallel");
        var (table, rowId, path, body, eventType) = change switch
        {
            "account key disabled" => await Key(account, "/v2/keys", "api_keys"),
            "service account key disabled" => await Key(account, $"/v2/serviceaccounts/{(await account.CreateServiceAccountAsync()).Id}/keys", "api_keys"),
            "app key disabled" => await Key(account, $"/v2/apps/{appId}/keys", "api_keys"),
            "provisioning key disabled" => await Key(account, "/v2/provisioningkeys", "provisioning_keys", "provisioningKey"),
            "service account renamed" => await ServiceAccount(account),
            "tenant renamed" => await Tenant(account),
            _ => ("apps", appId, $"/v2/apps/{appId}", (object)new { displayName = "renamed" }, "app.updated"),
        };

        await using var held = await HeldRow.LockAsync(service.ConnectionString, table, rowId);
        var waitingBefore = await held.WaitingAsync();
        var first = account.PatchAsync(path, Http.Json(body));
        var second = account.PatchAsync(path, Http.Json(body));
        await held.UntilWaitingAsync(waitingBefore + 2);
        await held.ReleaseAsync();

        foreach (var answer in new[] { await first, await second })
        {
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{change}: {answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            answer.Dispose();
        }

        Assert.Equal(1, await Sql.CountAsync(service.ConnectionString,
            "SELECT count(*) FROM audit_events WHERE resource_id = $1 AND type = $2", rowId, eventType));
    }

    private static async Task<(string, string, string, object, string)> Key(HttpClient account, string keys, string table, string field = "key")
    {
        var key = (await account.PostJsonAsync(keys, new { displayName = "parallel" }, HttpStatusCode.Created))[field]!;
        var id = (string)key["id"]!;
        return (table, id, $"{keys}/{id}", new { disabled = true }, "key.disabled");
    }

    private static async Task<(string, string, string, object, string)> ServiceAccount(HttpClient account)
    {
        var id = (await account.CreateServiceAccountAsync()).Id;
        return ("service_accounts", id, $"/v2/serviceaccounts/{id}", new { displayName = "renamed" }, "serviceAccount.updated");
    }

    private static async Task<(string, string, string, object, string)> Tenant(HttpClient account)
    {
        var child = await account.ProvisionAsync();
        return ("tenants", child.Id, $"/v2/tenants/{child.Id}", new { name = "renamed" }, "tenant.updated");
    }
}
