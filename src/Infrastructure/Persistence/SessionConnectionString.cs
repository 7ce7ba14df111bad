namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The connection string for the connections of its own a process opens outside the pool and keeps as a session: the
/// revocation listener's (<c>LISTEN</c>) and the session locks' (migrations, <c>rotate-secrets</c>).
/// <c>ConnectionStrings:ProvisioningSession</c> when it is set — PostgreSQL itself, or a pool in session mode, while
/// <c>ConnectionStrings:Provisioning</c> goes through a pooler in transaction mode, which keeps no session from one
/// transaction to the next — and otherwise the pool's own string (<see cref="DatabaseConnectionString"/>). With the
/// service's defaults (<see cref="DependencyInjection.WithDefaults"/>) and its password.
/// </summary>
public sealed record SessionConnectionString(string Value)
{
    public override string ToString() => "(a connection string)"; // never its password in a log or a debugger's view
}
