namespace Provisioning.WebApi.Hosting.OpenApi;

/// <summary>
/// The limits the service's own rules (the domain's and the validators') hold a request field or a query parameter to,
/// declared for the OpenAPI document so that a generated client and the <c>/docs</c> page know them before a 400 says
/// so. Give the rule's constants (<c>Tenant.MaxLogoUrlLength</c>, <c>PageRequest.MaxSize</c>) where it has them: the
/// document then follows the rule; a display name is <see cref="DisplayNameLimitsAttribute"/>. Only the document reads
/// it — MVC's model validation does not (the rule answers the 400, with its own words) — and <c>OpenApiLimitsTests</c>
/// sends each limit and one past it. Lengths count code points, as JSON Schema's and the service's rules do (a name's
/// blanks at its ends are trimmed before it is counted: the document is the stricter for a padded one). What JSON Schema
/// cannot say is not declared: a tenant's settings are limited as they result from a change (a null removes one), not
/// as sent. A value left at its default declares nothing.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public class SchemaLimitsAttribute : Attribute
{
    /// <summary>
    /// The request must send it, and not as null: the body's schema lists it as required and its own schema takes no null
    /// (left out, or null, it is a 400 naming it; the provisioning key's, a 401).
    /// </summary>
    public bool Required { get; set; }

    public int MinLength { get; set; } = -1;
    public int MaxLength { get; set; } = -1;
    public long Minimum { get; set; } = long.MinValue;
    public long Maximum { get; set; } = long.MaxValue;

    /// <summary>A list's most items; <see cref="MaxLength"/> then describes each item.</summary>
    public int MaxItems { get; set; } = -1;

    /// <summary>A 24-hex-character id (<see cref="Domain.Common.IdGenerator.Pattern"/>).</summary>
    public bool Id { get; set; }

    /// <summary>
    /// The only values: the public string constants of a static class (<see cref="Domain.Tenants.TenantStatus"/>), or an
    /// event type's wire names (<see cref="Domain.Audit.AuditEventType"/>). An enum for a query parameter; a pattern
    /// (<c>^(active|suspended)$</c>) for a body field, which a generated client then keeps a string (see OpenApiSetup).
    /// </summary>
    public Type? ValuesOf { get; set; }
}
