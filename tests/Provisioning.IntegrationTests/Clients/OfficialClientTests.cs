using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Clients;

/// <summary>The official Sunshine Conversations npm clients (tests/clients), unchanged, against the running service.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class OfficialClientTests(ServiceFixture service)
{
    [Fact]
    public async Task SunshineConversationsClientAndSmoochCore_WorkAgainstTheService()
    {
        var tenant = await service.NewTenantAsync();
        await NodeProject.RunTestsAsync(NodeProject.RepositoryPath("tests", "clients"), service, tenant.KeyId, tenant.Secret);
    }
}
