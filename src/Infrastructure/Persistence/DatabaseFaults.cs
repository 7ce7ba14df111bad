using Provisioning.Application.Common.Abstractions;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>The one test of "the database's fault, answered 503": <see cref="DatabaseUnavailable"/> or a <see cref="TransientConflict"/>.</summary>
public sealed class DatabaseFaults : IDatabaseFaults
{
    public static bool Is(Exception exception) => DatabaseUnavailable.Is(exception) || TransientConflict.Is(exception);

    public bool IsUnavailable(Exception exception) => Is(exception);
}
