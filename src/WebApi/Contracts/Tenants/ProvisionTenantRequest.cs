using System.Text.Json.Serialization;

namespace Provisioning.WebApi.Contracts;

/// <summary><c>POST /v2/tenants</c>, in DailyStory's shape (note <c>logo_url</c>).</summary>
public sealed record ProvisionTenantRequest(
    string? Name,
    string? Key,
    [property: JsonPropertyName("logo_url")] string? LogoUrl,
    int? Contacts,
    List<string>? Emails,
    Dictionary<string, Dictionary<string, string?>?>? Settings);
