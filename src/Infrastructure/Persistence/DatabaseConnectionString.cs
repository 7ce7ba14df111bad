namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The connection string of the process's pool (<c>ConnectionStrings:Provisioning</c>; an operator verb's process pools on
/// <c>ConnectionStrings:ProvisioningSession</c> when it is set), with its defaults (<see cref="DependencyInjection.WithDefaults"/>)
/// and its password (the pool's data source does not give it back). <paramref name="TransactionPooled"/>: it goes through a pooler in transaction mode (the service's pool while
/// <c>ConnectionStrings:ProvisioningSession</c> is set), where a transaction's server session is not the next one's.
/// </summary>
public sealed record DatabaseConnectionString(string Value, bool TransactionPooled = false)
{
    public override string ToString() => "(a connection string)"; // never its password in a log or a debugger's view
}
