namespace Provisioning.Client;

public partial class ProvisioningClient
{
    /// <summary>
    /// Request properties left null are not sent, so a partial update changes only what is set.
    /// (PATCH /v2/tenants treats an explicit null as "clear": to clear <c>maxApps</c> or <c>logoUrl</c>,
    /// put the null in <c>AdditionalProperties</c>, e.g. <c>new UpdateTenantRequest { AdditionalProperties = { ["maxApps"] = null } }</c>.)
    /// </summary>
    static partial void UpdateJsonSerializerSettings(System.Text.Json.JsonSerializerOptions settings) =>
        settings.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
}
