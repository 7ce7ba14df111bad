using System.Text.Json.Serialization;

namespace Provisioning.WebApi.Contracts;

/// <summary><c>POST /v2/tenants</c>, in DailyStory's shape (note <c>logo_url</c>).</summary>
public sealed record ProvisionTenantRequest(
    string? Name,
    string? Key,
    [property: JsonPropertyName("logo_url")] string? LogoUrl,
    int? Contacts,
    List<string>? Emails,
    Dictionary<string, Dictionary<string, string?>?>? Settings)
{
    /// <summary>The fields this shape does not have: a DailyStory-style client may send its own, which are let through.</summary>
    [JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Unread { get; init; }

    /// <summary>
    /// Refuses, naming it, a field of the tenant's <c>PATCH</c> sent here (<c>maxApps</c>, <c>maxTenants</c>, <c>logoUrl</c>,
    /// <c>status</c>): ignored, it made an unlimited, active child without a logo while the caller believed otherwise.
    /// </summary>
    public void EnsureNoChangeFields()
    {
        foreach (var name in Unread?.Keys ?? Enumerable.Empty<string>())
        {
            if (name.Equals("logoUrl", StringComparison.OrdinalIgnoreCase))
            {
                throw new Application.Common.Exceptions.RequestValidationException(name, $"{name} is not a field of provisioning: here the logo is logo_url.");
            }

            if (name.Equals("maxApps", StringComparison.OrdinalIgnoreCase) || name.Equals("maxTenants", StringComparison.OrdinalIgnoreCase)
                || name.Equals("status", StringComparison.OrdinalIgnoreCase))
            {
                throw new Application.Common.Exceptions.RequestValidationException(name,
                    $"{name} is not a field of provisioning: set it on the new tenant with PATCH /v2/tenants/{{id}}.");
            }
        }
    }

    /// <summary>Printed without the key, a secret: MVC prints an action's arguments when its log is at Trace.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Name = {Name}, Key = {(Key is null ? "null" : "(secret)")}, LogoUrl = {LogoUrl}, Contacts = {Contacts}, ")
            .Append($"Emails = {Emails?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}, Settings = {Settings?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}");
        return true;
    }
}
