using System.Text.Json;
using System.Text.Json.Serialization;

namespace Provisioning.WebApi.Contracts;

/// <summary><c>POST /v2/tenants</c>, in DailyStory's shape (note <c>logo_url</c>).</summary>
public sealed record ProvisionTenantRequest(
    [property: Hosting.OpenApi.DisplayNameLimits(Required = true)] string? Name,
    [property: Hosting.OpenApi.SchemaLimits(Required = true)] string? Key,
    [property: JsonPropertyName("logo_url"), Hosting.OpenApi.SchemaLimits(MaxLength = Domain.Tenants.Tenant.MaxLogoUrlLength)] string? LogoUrl,
    [property: Hosting.OpenApi.SchemaLimits(Minimum = 0)] int? Contacts,
    [property: Hosting.OpenApi.SchemaLimits(MaxItems = Domain.Tenants.Tenant.MaxUsers, MaxLength = Domain.Tenants.TenantUser.MaxEmailLength)] List<string>? Emails,
    Dictionary<string, Dictionary<string, string?>?>? Settings)
{
    /// <summary>The fields this shape does not have: a DailyStory-style client may send its own, which are let through.</summary>
    [JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Unread { get; init; }

    /// <summary>
    /// The tenant <c>PATCH</c>'s fields this body does not have (<c>logoUrl</c>, <c>maxApps</c>, <c>maxTenants</c>,
    /// <c>status</c>), read from <see cref="UpdateTenantRequest"/> so that a field added there is refused here too.
    /// </summary>
    private static readonly HashSet<string> ChangeOnlyFields = new(
        typeof(UpdateTenantRequest).GetProperties().Select(JsonName).Except(typeof(ProvisionTenantRequest).GetProperties().Select(JsonName)),
        StringComparer.OrdinalIgnoreCase);

    private static string JsonName(System.Reflection.PropertyInfo property) =>
        property.GetCustomAttributes(typeof(JsonPropertyNameAttribute), false).OfType<JsonPropertyNameAttribute>().SingleOrDefault()?.Name
        ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);

    /// <summary>
    /// Near misses of this body's own fields, which DailyStory's API does not have either: let through as a client's own
    /// fields, <c>"email"</c> made a child without its user, <c>"contact"</c> one with the default contacts (a probe).
    /// </summary>
    private static readonly Dictionary<string, string> NearMisses = new(StringComparer.OrdinalIgnoreCase)
    {
        ["email"] = "emails, a list of addresses",
        ["users"] = "emails, a list of addresses",
        ["contact"] = "contacts",
        ["setting"] = "settings",
        ["logo"] = "logo_url",
    };

    /// <summary>
    /// Refuses, naming it, a field of the tenant's <c>PATCH</c> sent here (ignored, it made an unlimited, active child
    /// without a logo while the caller believed otherwise), or a near miss of one of this body's own fields.
    /// </summary>
    public void EnsureNoMistakenFields()
    {
        if (Unread?.Keys.FirstOrDefault(ChangeOnlyFields.Contains) is { } name)
        {
            throw new Application.Common.Exceptions.RequestValidationException(name, name.Equals("logoUrl", StringComparison.OrdinalIgnoreCase)
                ? $"{name} is not a field of provisioning: here the logo is logo_url."
                : $"{name} is not a field of provisioning: set it on the new tenant with PATCH /v2/tenants/{{id}}.");
        }

        if (Unread?.Keys.FirstOrDefault(NearMisses.ContainsKey) is { } nearMiss)
        {
            throw new Application.Common.Exceptions.RequestValidationException(nearMiss,
                $"{nearMiss} is not a field of provisioning: did you mean {NearMisses[nearMiss]}?");
        }
    }

    /// <summary>Printed without the key, a secret: MVC prints an action's arguments when its log is at Trace.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Name = {Name}, Key = {(Key is null ? "null" : "(secret)")}, LogoUrl = {Domain.Common.Text.PrintableUrl(LogoUrl)}, Contacts = {Contacts}, ")
            .Append($"Emails = {Emails?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}, Settings = {Settings?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}");
        return true;
    }
}
