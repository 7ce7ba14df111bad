namespace Provisioning.Domain.Common;

/// <summary>A request broke a domain rule (400). <see cref="Field"/> names the offending input (camelCase, as on the wire).</summary>
public sealed class DomainRuleException(string field, string message) : ExpectedException("bad_request", 400, message)
{
    public string Field { get; } = field;
}
