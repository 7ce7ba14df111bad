using System.Text.Json.Serialization;

namespace Provisioning.Application.Tenants;

/// <summary>DailyStory's answer to a provisioning request.</summary>
public sealed record ProvisionedTenantDto(
    [property: JsonPropertyName("tenantuid")] string TenantUid,
    [property: JsonPropertyName("token")] string Token);
