using System.Text.Json.Serialization;

namespace Provisioning.WebApi.Contracts;

/// <summary><c>links</c> of a v2 list: absolute URLs of the next and previous pages.</summary>
public sealed record PageLinks(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Next,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Prev);
