using System.Text.Json.Serialization;

namespace Provisioning.WebApi.Contracts;

/// <summary><c>meta</c> of a v2 list. Cursors appear only when there is a page in that direction.</summary>
public sealed record PageMeta(
    bool HasMore,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AfterCursor,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? BeforeCursor);
