namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The service's connection string, with its defaults (<see cref="DependencyInjection.WithDefaults"/>) and its password:
/// for the connections of their own that session locks open, outside the pool (the pool's data source does not give its
/// password back).
/// </summary>
public sealed record DatabaseConnectionString(string Value)
{
    public override string ToString() => "(a connection string)"; // never its password in a log or a debugger's view
}
