using System.Text.Json;
using Microsoft.OpenApi;
using Provisioning.WebApi.Hosting.OpenApi;

namespace Provisioning.WebApi.Contracts;

/// <summary>
/// <c>PATCH /v2/tenants/{id}</c>: absent fields are left alone; <c>logoUrl</c>, <c>maxApps</c> and <c>maxTenants</c>
/// may be null (no logo, no budget of its own); in <c>settings</c> a null value removes the tenant's own value; the other
/// fields have no null (400). Any other field is a 400 naming it.
/// </summary>
// (Ignored, logo_url — the create's DailyStory spelling — answered 200 with the logo unchanged: a probe.)
public sealed record UpdateTenantRequest(
    [property: NotNull("name"), DisplayNameLimits] string? Name,
    [property: NullableValue(JsonSchemaType.String), SchemaLimits(MaxLength = Domain.Tenants.Tenant.MaxLogoUrlLength)] JsonElement LogoUrl,
    [property: NotNull("contacts"), SchemaLimits(Minimum = 0)] int? Contacts,
    [property: NotNull("settings")] Dictionary<string, Dictionary<string, string?>?>? Settings,
    [property: NullableValue(JsonSchemaType.Integer, "int32"), SchemaLimits(Minimum = 0)] JsonElement MaxApps,
    [property: NullableValue(JsonSchemaType.Integer, "int32"), SchemaLimits(Minimum = 0)] JsonElement MaxTenants,
    [property: NotNull("status"), SchemaLimits(ValuesOf = typeof(Domain.Tenants.TenantStatus))] string? Status)
{
    /// <summary>Printed without a logo URL's password (MVC prints an action's arguments when its log is at Trace).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        var logo = LogoUrl.ValueKind switch
        {
            JsonValueKind.String => Domain.Common.Text.PrintableUrl(LogoUrl.GetString()),
            JsonValueKind.Null or JsonValueKind.Undefined => LogoUrl.ValueKind.ToString(),
            var kind => $"(a JSON {kind}: not printed)", // (refused with a 400; an array may hold a URL with a password)
        };
        builder.Append($"Name = {Name}, LogoUrl = {logo}, Contacts = {Contacts}, Settings = {Settings?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}, ")
            .Append($"MaxApps = {MaxApps}, MaxTenants = {MaxTenants}, Status = {Status}");
        return true;
    }
}
