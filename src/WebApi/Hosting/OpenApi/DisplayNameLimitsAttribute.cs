namespace Provisioning.WebApi.Hosting.OpenApi;

/// <summary>
/// A display name's limits (<see cref="Domain.Common.DisplayName"/>: 1 to <see cref="Domain.Common.DisplayName.MaxLength"/>
/// characters, not blank), for every body that takes one: apps, keys, service accounts, tenants, and their v1.1 names.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class DisplayNameLimitsAttribute : SchemaLimitsAttribute
{
    public DisplayNameLimitsAttribute()
    {
        MinLength = 1;
        MaxLength = Domain.Common.DisplayName.MaxLength;
    }
}
