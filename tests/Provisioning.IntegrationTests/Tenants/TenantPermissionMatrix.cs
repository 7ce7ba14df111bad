using System.Net;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Tenants;

/// <summary>
/// Tenant and provisioning-key routes against every kind of credential: account keys (and tenant
/// tokens) may use them; service-account and app keys get 403. Each cell gets fresh data.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class TenantPermissionMatrix(ServiceFixture service)
{
    public enum Caller
    {
        AccountKey,
        TenantToken,
        ServiceAccountKey,
        AppKey,
    }

    private sealed record Route(string Method, string Path, string? Body, int Allowed);

    // {child} = a provisioned child; {prv} = a provisioning key id; {prvSecret} = its secret.
    private static readonly Dictionary<string, Route> Routes = new()
    {
        ["CreateProvisioningKey"] = new("POST", "/v2/provisioningkeys", """{"displayName":"p"}""", 201),
        ["ListProvisioningKeys"] = new("GET", "/v2/provisioningkeys", null, 200),
        ["GetProvisioningKey"] = new("GET", "/v2/provisioningkeys/{prv}", null, 200),
        ["DeleteProvisioningKey"] = new("DELETE", "/v2/provisioningkeys/{prv}", null, 200),
        ["SetProvisioningKeyDisabled"] = new("PATCH", "/v2/provisioningkeys/{prv}", """{"disabled":false}""", 200),
        ["ProvisionTenant"] = new("POST", "/v2/tenants", """{"name":"n","key":"{prvSecret}"}""", 200),
        ["ListTenants"] = new("GET", "/v2/tenants", null, 200),
        ["GetTenant"] = new("GET", "/v2/tenants/{child}", null, 200),
        ["UpdateTenant"] = new("PATCH", "/v2/tenants/{child}", """{"name":"renamed"}""", 200),
        ["DeleteTenant"] = new("DELETE", "/v2/tenants/{child}", null, 200),
        ["ListTenantUsers"] = new("GET", "/v2/tenants/{child}/users", null, 200),
        ["AddTenantUser"] = new("POST", "/v2/tenants/{child}/users", """{"email":"u@example.com"}""", 201),
        ["GetTenantUser"] = new("GET", "/v2/tenants/{child}/users/owner%40example.com", null, 200),
        ["RemoveTenantUser"] = new("DELETE", "/v2/tenants/{child}/users/owner@example.com", null, 200),
    };

    /// <summary>The operations this matrix covers (the credential matrix checks every action is in one of the two).</summary>
    public static readonly HashSet<string> Operations = [.. Routes.Keys];

    public static TheoryData<string, Caller> Cells() => Http.MatrixCells<Caller>(Routes.Keys);

    /// <summary>The matrix as documentation rows (see <see cref="Documentation.AuthenticationDocTests"/>).</summary>
    public static IEnumerable<RouteTableRow> Rows() => Routes.Select(r => new RouteTableRow(
        r.Value.Method, r.Value.Path, RouteTableRow.Describe(r.Value.Allowed, r.Value.Allowed, "yes", "yes"), "403", "403"));

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task TenantRoute_IsForAccountCredentialsOnly(string operation, Caller caller)
    {
        var route = Routes[operation];

        // The parent is provisioned through the API, so it has a real tenant token; its account key is made with that token.
        var parent = await service.Root().ProvisionAsync(name: "Matrix parent");
        using var tokenClient = service.Client(parent);
        var key = (await tokenClient.PostJsonAsync("/v2/keys", new { displayName = "matrix" }, HttpStatusCode.Created))["key"]!;
        using var account = service.WithBasic((string)key["id"]!, (string)key["secret"]!);
        var child = await account.ProvisionAsync(new { emails = new[] { "owner@example.com" } });
        var provisioningKey = (await account.PostJsonAsync("/v2/provisioningkeys", new { displayName = "k" }, HttpStatusCode.Created))["provisioningKey"]!;
        var sa = await account.CreateServiceAccountAsync();
        var appKey = await account.CreateAppKeyAsync(await account.CreateAppAsync());

        var client = caller switch
        {
            Caller.AccountKey => account,
            Caller.TenantToken => tokenClient,
            Caller.ServiceAccountKey => service.Basic(sa.Key),
            _ => service.Basic(appKey),
        };

        var path = route.Path.Replace("{child}", child.Id).Replace("{prv}", (string)provisioningKey["id"]!);
        var expected = caller is Caller.AccountKey or Caller.TenantToken ? route.Allowed : 403;
        await client.AssertStatusAsync(route.Method, path, route.Body?.Replace("{prvSecret}", (string)provisioningKey["secret"]!), expected, caller.ToString());
    }
}
