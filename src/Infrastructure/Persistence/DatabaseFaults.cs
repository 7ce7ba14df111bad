using Provisioning.Application.Common.Abstractions;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>"The database's fault, answered 503": <see cref="DatabaseUnavailable"/> or a <see cref="TransientConflict"/>.</summary>
public sealed class DatabaseFaults : IDatabaseFaults
{
    public bool IsDatabaseFault(Exception exception) => DatabaseUnavailable.Is(exception) || TransientConflict.Is(exception);
}
