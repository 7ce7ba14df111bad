namespace Provisioning.WebApi.Hosting;

/// <summary>
/// The service cannot start, for a reason an operator can fix (configuration, database, port). Program prints
/// its message — one sentence, never a secret — to standard error and exits with code 1, without a stack trace.
/// </summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
