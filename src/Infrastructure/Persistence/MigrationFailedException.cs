namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A migration whose SQL PostgreSQL refused (not an outage nor a conflict: the same refusal at every try), said in one
/// sentence with the migration's name and PostgreSQL's error, which the start and <c>migrate</c> print alone
/// (<c>StartupChecks</c> knows it by its type). A schema changed by hand, or a migration's history row deleted, failed
/// <c>migrate</c> with 46 lines of stack trace (a probe).
/// </summary>
public sealed class MigrationFailedException(string message, Exception inner) : InvalidOperationException(message, inner);
