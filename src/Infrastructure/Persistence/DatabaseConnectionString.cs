namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The service's connection string, with its defaults (<see cref="DependencyInjection.WithDefaults"/>) and its password:
/// for the connections of their own that session locks open, outside the pool (the pool's data source does not give its
/// password back). <paramref name="TransactionPooled"/>: it goes through a pooler in transaction mode (the service's pool while
/// <c>ConnectionStrings:ProvisioningSession</c> is set), where a transaction's server session is not the next one's.
/// </summary>
public sealed record DatabaseConnectionString(string Value, bool TransactionPooled = false)
{
    public override string ToString() => "(a connection string)"; // never its password in a log or a debugger's view
}
