namespace Provisioning.Infrastructure;

/// <summary>
/// A setting the service cannot run with (unset, malformed), in one sentence that names it and never holds a secret's
/// value: the start and the operator verbs print the sentence alone, not a stack trace (<c>StartupChecks</c> knows it by
/// its type, not by the wording of its message).
/// </summary>
public sealed class InvalidSettingException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
