using Npgsql;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>
/// A grant pairs a service account and an app of one tenant, as the database's rule (migration GrantsWithinOneTenant):
/// a service account's app lists are read from its grants, and a grant to another tenant's app would take a place in
/// their v1.1 offsets. The API's own grants — an explicit one, and the one a service account gets for an app it
/// creates (app and grant in one transaction) — pass it.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class GrantsWithinOneTenantTests(ServiceFixture service)
{
    [Fact]
    public async Task AGrantOfAnotherTenantsApp_IsRefusedByTheDatabase_TheApisOwnGrantsPass()
    {
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var other = await service.NewTenantAsync();
        using var otherAccount = other.Client();
        var sa = await account.CreateServiceAccountAsync();
        var own = await account.CreateAppAsync("Own");
        var theirs = await otherAccount.CreateAppAsync("Theirs");

        await account.PutJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{own}", null);
        using var asServiceAccount = service.Basic(sa.Key);
        var made = await asServiceAccount.CreateAppAsync("Made by the service account");

        var insert = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(service.ConnectionString,
            $"INSERT INTO app_grants (service_account_id, app_id, created_at) VALUES ('{sa.Id}', '{theirs}', now())"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, insert.SqlState);
        Assert.Equal("ck_app_grants_within_one_tenant", insert.ConstraintName);
        var update = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(service.ConnectionString,
            $"UPDATE app_grants SET app_id = '{theirs}' WHERE service_account_id = '{sa.Id}' AND app_id = '{own}'"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, update.SqlState);

        Assert.Equal(2, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM app_grants WHERE service_account_id = $1", sa.Id));
        var listed = (await asServiceAccount.GetJsonAsync("/v2/apps"))["apps"]!.AsArray().Select(a => (string)a!["id"]!);
        Assert.Equal(new[] { own, made }.Order(StringComparer.Ordinal), listed);
    }
}
