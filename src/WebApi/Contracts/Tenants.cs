using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.OpenApi;
using Provisioning.WebApi.Hosting;
using Provisioning.Application.ProvisioningKeys;
using Provisioning.Application.Tenants;

namespace Provisioning.WebApi.Contracts;

/// <summary><c>POST /v2/tenants</c>, in DailyStory's shape (note <c>logo_url</c>).</summary>
public sealed record ProvisionTenantRequest(
    string? Name,
    string? Key,
    [property: JsonPropertyName("logo_url")] string? LogoUrl,
    int? Contacts,
    List<string>? Emails,
    Dictionary<string, Dictionary<string, string?>?>? Settings);

/// <summary>
/// <c>PATCH /v2/tenants/{id}</c>: absent fields are left alone; <c>logoUrl</c>, <c>maxApps</c> and <c>maxTenants</c>
/// may be null (no logo, no budget of its own); in <c>settings</c> a null value removes the tenant's own value.
/// </summary>
public sealed record UpdateTenantRequest(
    string? Name,
    [property: NullableValue(JsonSchemaType.String, "uri")] JsonElement LogoUrl,
    int? Contacts,
    Dictionary<string, Dictionary<string, string?>?>? Settings,
    [property: NullableValue(JsonSchemaType.Integer, "int32")] JsonElement MaxApps,
    [property: NullableValue(JsonSchemaType.Integer, "int32")] JsonElement MaxTenants,
    string? Status);

public sealed record AddTenantUserRequest(string? Email);

public sealed record TenantResponse(TenantDto Tenant);

public sealed record TenantListResponse(IReadOnlyList<TenantSummaryDto> Tenants, PageMeta Meta, PageLinks Links);

public sealed record TenantUserResponse(TenantUserDto User);

public sealed record TenantUserListResponse(IReadOnlyList<TenantUserDto> Users);

public sealed record ProvisioningKeyResponse(ProvisioningKeyDto ProvisioningKey);

public sealed record ProvisioningKeyListResponse(IReadOnlyList<ProvisioningKeyDto> ProvisioningKeys, PageMeta Meta, PageLinks Links);
