namespace Provisioning.Domain.Common;

/// <summary>A request broke a domain rule. <see cref="Field"/> names the offending input (camelCase, as on the wire).</summary>
public sealed class DomainRuleException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
