using System.Text.Json;

namespace Provisioning.WebApi.Contracts;

/// <summary>A request string held NUL or a control character; the model-state mapper names the field.</summary>
public sealed class ControlCharacterException() : JsonException("The value holds NUL or a control character.");
