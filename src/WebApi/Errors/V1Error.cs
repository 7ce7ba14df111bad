using System.Text.Json.Serialization;

namespace Provisioning.WebApi.Errors;

public sealed record V1Error(string Code, string Description, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RequestId = null);
