namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>A tenant made for one test, with its account key.</summary>
public sealed record TestTenant(ServiceFixture Fixture, string TenantId, string KeyId, string Secret)
{
    public HttpClient Client() => Fixture.WithBasic(KeyId, Secret);
}
