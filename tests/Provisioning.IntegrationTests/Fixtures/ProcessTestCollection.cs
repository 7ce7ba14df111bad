namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// Tests that spend their time starting processes and instances of their own (the operator verbs, the service's start,
/// master-key rotations): a collection of its own, with its own <see cref="ServiceFixture"/> (service and PostgreSQL), so that
/// it runs beside the <see cref="ServiceTestCollection"/>'s requests instead of after them. Within it, tests run one at a time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessTestCollection : ICollectionFixture<ServiceFixture>
{
    public const string Name = "Processes";
}
