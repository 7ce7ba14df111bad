namespace Provisioning.IntegrationTests.Fixtures;

[CollectionDefinition(Name)]
public sealed class ServiceTestCollection : ICollectionFixture<ServiceFixture>
{
    public const string Name = "Service";
}
