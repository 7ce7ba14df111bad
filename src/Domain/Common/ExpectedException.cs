namespace Provisioning.Domain.Common;

/// <summary>
/// The one base of every expected refusal — a broken rule, a missing or hidden resource, a used-up budget — as
/// opposed to a fault. It carries the error <see cref="Code"/> (snake_case, as in the error envelopes) and the
/// <see cref="Status"/> class of the refusal (HTTP's numbers, which the API speaks), so the error mapper and the
/// pipeline's logging read the same two values and keep no lists of types. A new refusal derives from it and is
/// mapped and logged correctly without touching either.
/// </summary>
public abstract class ExpectedException(string code, int status, string message) : Exception(message)
{
    public string Code { get; } = code;

    public int Status { get; } = status;
}
