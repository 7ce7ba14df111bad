using System.Text.Json.Serialization;

namespace Provisioning.Application.Tenants;

/// <summary>DailyStory's answer to a provisioning request.</summary>
public sealed record ProvisionedTenantDto(
    [property: JsonPropertyName("tenantuid")] string TenantUid,
    [property: JsonPropertyName("token")] string Token)
{
    /// <summary>Printed without the secret (a record lists every member; what carries a secret out must not print it).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"TenantUid = {TenantUid}, Token = (secret)");
        return true;
    }
}
