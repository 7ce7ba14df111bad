using System.Net;
using Provisioning.IntegrationTests.Fixtures;
using Provisioning.IntegrationTests.Tenants;

namespace Provisioning.IntegrationTests.Credentials;

/// <summary>
/// Every route family against every kind of credential. Each cell gets fresh data: a tenant with
/// app A (created by service account S1, so S1 can reach it) and app B, a second service account
/// S2 with no access, and a key for each app. Add a row when you add a route.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class PermissionMatrixTests(ServiceFixture service)
{
    public enum Caller
    {
        Account,
        ServiceAccountWithAccess,
        ServiceAccountWithoutAccess,
        AppKeyOfThisApp,
        AppKeyOfAnotherApp,
    }

    private sealed record Route(string Method, string Path, string? Body, int Account, int Svc, int SvcNoAccess, int AppKey, int OtherAppKey)
    {
        public int Expected(Caller caller) => caller switch
        {
            Caller.Account => Account,
            Caller.ServiceAccountWithAccess => Svc,
            Caller.ServiceAccountWithoutAccess => SvcNoAccess,
            Caller.AppKeyOfThisApp => AppKey,
            _ => OtherAppKey,
        };
    }

    private const string Name = """{"displayName":"x"}""";
    private const string V1Name = """{"name":"x"}""";
    private const string Enable = """{"disabled":false}""";

    // {app} = app A, {appKey} = A's key, {sa} = S1, {svcKey} = S1's key, {otherSa} = S2, {actKey} = a second account key.
    private static readonly Dictionary<string, Route> Routes = new()
    {
        ["CreateApp"] = new("POST", "/v2/apps", Name, 201, 201, 201, 403, 403),
        ["ListApps"] = new("GET", "/v2/apps", null, 200, 200, 200, 403, 403),
        ["GetApp"] = new("GET", "/v2/apps/{app}", null, 200, 200, 404, 200, 404),
        ["UpdateApp"] = new("PATCH", "/v2/apps/{app}", Name, 200, 200, 404, 200, 404),
        ["DeleteApp"] = new("DELETE", "/v2/apps/{app}", null, 200, 200, 404, 403, 403),
        ["CreateAppKey"] = new("POST", "/v2/apps/{app}/keys", Name, 201, 201, 404, 403, 403),
        ["ListAppKeys"] = new("GET", "/v2/apps/{app}/keys", null, 200, 200, 404, 403, 403),
        ["GetAppKey"] = new("GET", "/v2/apps/{app}/keys/{appKey}", null, 200, 200, 404, 403, 403),
        ["DeleteAppKey"] = new("DELETE", "/v2/apps/{app}/keys/{appKey}", null, 200, 200, 404, 403, 403),
        ["SetAppKeyDisabled"] = new("PATCH", "/v2/apps/{app}/keys/{appKey}", Enable, 200, 200, 404, 403, 403),
        ["CreateServiceAccount"] = new("POST", "/v2/serviceaccounts", """{"displayName":"new one"}""", 201, 403, 403, 403, 403),
        ["ListServiceAccounts"] = new("GET", "/v2/serviceaccounts", null, 200, 403, 403, 403, 403),
        ["ListEvents"] = new("GET", "/v2/events", null, 200, 403, 403, 403, 403),
        ["GetServiceAccount"] = new("GET", "/v2/serviceaccounts/{sa}", null, 200, 403, 403, 403, 403),
        ["UpdateServiceAccount"] = new("PATCH", "/v2/serviceaccounts/{sa}", """{"displayName":"renamed"}""", 200, 403, 403, 403, 403),
        ["DeleteServiceAccount"] = new("DELETE", "/v2/serviceaccounts/{otherSa}", null, 200, 403, 403, 403, 403),
        ["CreateServiceAccountKey"] = new("POST", "/v2/serviceaccounts/{sa}/keys", Name, 201, 403, 403, 403, 403),
        ["ListServiceAccountKeys"] = new("GET", "/v2/serviceaccounts/{sa}/keys", null, 200, 403, 403, 403, 403),
        ["GetServiceAccountKey"] = new("GET", "/v2/serviceaccounts/{sa}/keys/{svcKey}", null, 200, 403, 403, 403, 403),
        ["IssueServiceAccountKeyJwt"] = new("GET", "/v2/serviceaccounts/{sa}/keys/{svcKey}/jwt", null, 200, 403, 403, 403, 403),
        ["SetServiceAccountKeyDisabled"] = new("PATCH", "/v2/serviceaccounts/{sa}/keys/{svcKey}", Enable, 200, 403, 403, 403, 403),
        ["DeleteServiceAccountKey"] = new("DELETE", "/v2/serviceaccounts/{otherSa}/keys/{otherSvcKey}", null, 200, 403, 403, 403, 403),
        ["ListServiceAccountApps"] = new("GET", "/v2/serviceaccounts/{sa}/apps", null, 200, 403, 403, 403, 403),
        ["GrantAppAccess"] = new("PUT", "/v2/serviceaccounts/{otherSa}/apps/{app}", null, 200, 403, 403, 403, 403),
        ["RevokeAppAccess"] = new("DELETE", "/v2/serviceaccounts/{sa}/apps/{app}", null, 200, 403, 403, 403, 403),
        ["CreateAccountKey"] = new("POST", "/v2/keys", Name, 201, 403, 403, 403, 403),
        ["ListAccountKeys"] = new("GET", "/v2/keys", null, 200, 403, 403, 403, 403),
        ["GetAccountKey"] = new("GET", "/v2/keys/{actKey}", null, 200, 403, 403, 403, 403),
        ["DeleteAccountKey"] = new("DELETE", "/v2/keys/{actKey}", null, 200, 403, 403, 403, 403),
        ["SetAccountKeyDisabled"] = new("PATCH", "/v2/keys/{actKey}", Enable, 200, 403, 403, 403, 403),
        ["V1CreateApp"] = new("POST", "/v1.1/apps", V1Name, 201, 201, 201, 403, 403),
        ["V1ListApps"] = new("GET", "/v1.1/apps", null, 200, 200, 200, 403, 403),
        ["V1GetApp"] = new("GET", "/v1.1/apps/{app}", null, 200, 200, 404, 200, 404),
        ["V1UpdateApp"] = new("PUT", "/v1.1/apps/{app}", V1Name, 200, 200, 404, 200, 404),
        ["V1DeleteApp"] = new("DELETE", "/v1.1/apps/{app}", null, 200, 200, 404, 403, 403),
        ["V1ListAppSdks"] = new("GET", "/v1.1/apps/{app}/sdks", null, 404, 404, 404, 404, 404),
        ["V1CreateAppKey"] = new("POST", "/v1.1/apps/{app}/keys", V1Name, 200, 200, 404, 403, 403),
        ["V1ListAppKeys"] = new("GET", "/v1.1/apps/{app}/keys", null, 200, 200, 404, 403, 403),
        ["V1IssueAppKeyJwt"] = new("GET", "/v1.1/apps/{app}/keys/{appKey}/jwt", null, 200, 200, 404, 403, 403),
        ["V1CreateServiceAccount"] = new("POST", "/v1.1/serviceaccounts", """{"name":"new one"}""", 201, 403, 403, 403, 403),
        ["V1ListServiceAccounts"] = new("GET", "/v1.1/serviceaccounts", null, 200, 403, 403, 403, 403),
        ["V1UpdateServiceAccount"] = new("PUT", "/v1.1/serviceaccounts/{sa}", """{"name":"renamed"}""", 200, 403, 403, 403, 403),
        ["V1CreateServiceAccountKey"] = new("POST", "/v1.1/serviceaccounts/{sa}/keys", V1Name, 200, 403, 403, 403, 403),
        ["V1IssueServiceAccountKeyJwt"] = new("GET", "/v1.1/serviceaccounts/{sa}/keys/{svcKey}/jwt", null, 200, 403, 403, 403, 403),
        ["V1GetAppKey"] = new("GET", "/v1.1/apps/{app}/keys/{appKey}", null, 200, 200, 404, 403, 403),
        ["V1DeleteAppKey"] = new("DELETE", "/v1.1/apps/{app}/keys/{appKey}", null, 200, 200, 404, 403, 403),
        ["V1GetServiceAccount"] = new("GET", "/v1.1/serviceaccounts/{sa}", null, 200, 403, 403, 403, 403),
        ["V1DeleteServiceAccount"] = new("DELETE", "/v1.1/serviceaccounts/{otherSa}", null, 200, 403, 403, 403, 403),
        ["V1ListServiceAccountKeys"] = new("GET", "/v1.1/serviceaccounts/{sa}/keys", null, 200, 403, 403, 403, 403),
        ["V1GetServiceAccountKey"] = new("GET", "/v1.1/serviceaccounts/{sa}/keys/{svcKey}", null, 200, 403, 403, 403, 403),
        ["V1DeleteServiceAccountKey"] = new("DELETE", "/v1.1/serviceaccounts/{otherSa}/keys/{otherSvcKey}", null, 200, 403, 403, 403, 403),
    };

    public static TheoryData<string, Caller> Cells() => Http.MatrixCells<Caller>(Routes.Keys);

    /// <summary>The matrix as documentation rows: route, then what an account, a service-account and an app key get.</summary>
    public static IEnumerable<RouteTableRow> Rows() => Routes.Select(r => new RouteTableRow(
        r.Value.Method, r.Value.Path,
        RouteTableRow.Describe(r.Value.Account, r.Value.Account, "yes", "its tenant's"),
        RouteTableRow.Describe(r.Value.Svc, r.Value.SvcNoAccess, "yes", "its apps (others 404)"),
        RouteTableRow.Describe(r.Value.AppKey, r.Value.OtherAppKey, "yes", "its own app (others 404)")));

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Route_AnswersEachCredentialKindAsDocumented(string routeName, Caller caller)
    {
        var route = Routes[routeName];
        var tenant = await service.NewTenantAsync();
        var account = tenant.Client();
        var s1 = await account.CreateServiceAccountAsync("S1");
        var s2 = await account.CreateServiceAccountAsync("S2");
        var appA = await service.Basic(s1.Key).CreateAppAsync("A");
        var appB = await account.CreateAppAsync("B");
        var keyA = await account.CreateAppKeyAsync(appA);
        var keyB = await account.CreateAppKeyAsync(appB);
        var extraAccountKey = (string)(await account.PostJsonAsync("/v2/keys", new { displayName = "extra" }, HttpStatusCode.Created))["key"]!["id"]!;

        var path = route.Path.Replace("{app}", appA).Replace("{appKey}", keyA.Id).Replace("{sa}", s1.Id).Replace("{svcKey}", s1.Key.Id)
            .Replace("{otherSa}", s2.Id).Replace("{otherSvcKey}", s2.Key.Id).Replace("{actKey}", extraAccountKey);
        using var client = caller switch
        {
            Caller.Account => account,
            Caller.ServiceAccountWithAccess => service.Basic(s1.Key),
            Caller.ServiceAccountWithoutAccess => service.Basic(s2.Key),
            Caller.AppKeyOfThisApp => service.Basic(keyA),
            _ => service.Basic(keyB),
        };

        await client.AssertStatusAsync(route.Method, path, route.Body, route.Expected(caller), caller.ToString());
    }

    [Fact]
    public void EveryControllerAction_IsARowOfAMatrix()
    {
        var operations = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(Microsoft.AspNetCore.Mvc.ControllerBase).IsAssignableFrom(t))
            .SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetCustomAttributes(typeof(Microsoft.AspNetCore.Mvc.Routing.HttpMethodAttribute), false)
                .Cast<Microsoft.AspNetCore.Mvc.Routing.HttpMethodAttribute>())
            .Select(a => a.Name!)
            .ToList();

        // Tenant and provisioning-key routes have their own matrix in the tenant tests.
        var missing = operations.Where(o => !Routes.ContainsKey(o) && !TenantPermissionMatrix.Operations.Contains(o)).ToList();
        Assert.True(missing.Count == 0, "Routes missing from the permission matrices: " + string.Join(", ", missing));
    }
}
