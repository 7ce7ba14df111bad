namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// Tells the database's faults (down, restarting, too slow, a right the role lacks, a transaction PostgreSQL rolled back
/// for a conflict and still failing when run again) from the service's own: they are answered 503 and pass once the
/// database is back, so the log says what they are instead of calling them unhandled. The one test of it: the HTTP error
/// handler and the pipeline's fault logger both ask here.
/// </summary>
public interface IDatabaseFaults
{
    bool IsDatabaseFault(Exception exception);
}
