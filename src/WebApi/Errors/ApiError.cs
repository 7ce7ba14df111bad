using System.Text.Json.Serialization;

namespace Provisioning.WebApi.Errors;

/// <summary>
/// One error: a snake_case code and human text (never a secret, SQL or stack trace). 5xx errors also carry the
/// request id (the <c>X-Request-Id</c> header), so a report can be matched with the service's logs; other errors
/// have no <c>requestId</c>.
/// </summary>
// Absent rather than null: MVC writes its 400s with its own options, not ErrorEnvelope's.
public sealed record ApiError(string Code, string Title, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RequestId = null);
