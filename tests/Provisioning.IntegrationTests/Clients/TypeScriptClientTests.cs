using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Clients;

/// <summary>The generated TypeScript client (src/Clients/TypeScript): compiled with tsc, then its Node tests run against the service.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class TypeScriptClientTests(ServiceFixture service)
{
    [Fact]
    public async Task GeneratedTypeScriptClient_CompilesAndPassesItsTestsAgainstTheService()
    {
        var tenant = await service.NewTenantAsync();
        await NodeProject.RunTestsAsync(NodeProject.RepositoryPath("src", "Clients", "TypeScript"), service, tenant.KeyId, tenant.Secret, build: true);
    }
}
