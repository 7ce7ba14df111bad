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
    /// <summary>Printed without the key, a secret: MVC prints an action's arguments when its log is at Trace.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Name = {Name}, Key = {(Key is null ? "null" : "(secret)")}, LogoUrl = {LogoUrl}, Contacts = {Contacts}, ")
            .Append($"Emails = {Emails?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}, Settings = {Settings?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}");
        return true;
    }
}
