using Provisioning.Client;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Clients;

/// <summary>The generated C# client (src/Clients/CSharp), pointed at the running service.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class CSharpClientTests(ServiceFixture service)
{
    private static ProvisioningClient ClientFor(TestTenant tenant) =>
        new(tenant.Fixture.BaseAddress.ToString(), tenant.Client());

    [Fact]
    public async Task GeneratedClient_CreatesListsGetsUpdatesAndDeletesApps()
    {
        var tenant = await service.NewTenantAsync();
        var client = ClientFor(tenant);

        var created = await client.CreateAppAsync(new CreateAppRequest
        {
            DisplayName = "From C#",
            Settings = new AppSettingsRequest { UseAnimalNames = true },
            Metadata = new Dictionary<string, object> { ["tier"] = "gold" },
        });
        Assert.Equal("From C#", created.App.DisplayName);
        Assert.True(created.App.Settings.UseAnimalNames);

        var second = await client.CreateAppAsync(new CreateAppRequest { DisplayName = "Second" });
        var page = await client.ListAppsAsync(null, null, 1, null);
        Assert.Equal([created.App.Id], page.Apps.Select(a => a.Id));
        Assert.True(page.Meta.HasMore);
        var next = await client.ListAppsAsync(page.Meta.AfterCursor, null, 1, null);
        Assert.Equal([second.App.Id], next.Apps.Select(a => a.Id));

        var updated = await client.UpdateAppAsync(created.App.Id, new UpdateAppRequest { DisplayName = "Renamed" });
        Assert.Equal("Renamed", updated.App.DisplayName);
        Assert.Equal("Renamed", (await client.GetAppAsync(created.App.Id)).App.DisplayName);

        await client.DeleteAppAsync(created.App.Id);
        var missing = await Assert.ThrowsAsync<ProvisioningApiException<V2ErrorResponse>>(() => client.GetAppAsync(created.App.Id));
        Assert.Equal(404, missing.StatusCode);
        Assert.Equal("app_not_found", missing.Result.Errors.Single().Code);
    }

    [Fact]
    public async Task GeneratedClient_SurfacesValidationErrorsWithTheirBody()
    {
        var tenant = await service.NewTenantAsync();
        var error = await Assert.ThrowsAsync<ProvisioningApiException<V2ErrorResponse>>(
            () => ClientFor(tenant).CreateAppAsync(new CreateAppRequest { DisplayName = " " }));
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("displayName", error.Result.Errors.Single().Title);
    }
}
