namespace Provisioning.Client;

public partial class ProvisioningClient
{
    /// <summary>
    /// Request properties left null are not sent, so a partial update changes only what is set.
    /// (Where the API takes an explicit null as "clear" — a tenant's <c>maxApps</c>, <c>maxTenants</c> or <c>logoUrl</c>,
    /// an app's <c>metadata</c> — put the null in <c>AdditionalProperties</c>, e.g.
    /// <c>new UpdateTenantRequest { AdditionalProperties = { ["maxApps"] = null } }</c> or
    /// <c>new UpdateAppRequest { AdditionalProperties = { ["metadata"] = null } }</c>; a <c>Metadata = null</c> is not sent.)
    /// </summary>
    static partial void UpdateJsonSerializerSettings(System.Text.Json.JsonSerializerOptions settings) =>
        settings.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
}
