using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Provisioning.Domain.Common;

namespace Provisioning.Domain.Apps;

/// <summary>
/// Metadata rules: a flat JSON object whose values are strings, numbers or booleans, at most
/// 4096 bytes once serialized: compact JSON in UTF-8 with only the escapes JSON requires (<c>"</c>, <c>\</c> and control
/// characters), so "&lt;", "é" or an emoji count as what they are (1, 2 and 4 bytes), not as the <c>\uXXXX</c> escapes an
/// encoder may write. Kept as canonical JSON text.
/// </summary>
public static class AppMetadata
{
    public const int MaxBytes = 4096;

    // Not for HTML: the text is stored and parsed again before any answer is written. (It still writes characters outside
    // the BMP as escaped surrogate pairs, hence the size is counted by MinimalJsonBytes, not from this text.)
    private static readonly JsonSerializerOptions Canonical = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Validates a whole metadata object (null clears it) and returns its canonical JSON.</summary>
    public static string? Validate(JsonElement? metadata)
    {
        if (metadata is null || metadata.Value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var obj = ToFlatObject(metadata.Value);
        return Serialize(obj);
    }

    /// <summary>Whether two stored metadata texts hold the same keys and values (numbers by value: <c>1.0</c>, <c>1e0</c> and <c>1</c> alike).</summary>
    public static bool AreEqual(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return a == b;
        }

        using var left = JsonDocument.Parse(a);
        using var right = JsonDocument.Parse(b);
        return JsonElement.DeepEquals(left.RootElement, right.RootElement);
    }

    /// <summary>
    /// Merges a change key by key: a key set to null is removed. Returns canonical JSON, or null when the change emptied
    /// it; an empty object that nothing was added to stays as it is (merging {} into {} is no change).
    /// </summary>
    public static string? Merge(string? current, JsonElement change)
    {
        if (change.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (change.ValueKind != JsonValueKind.Object)
        {
            throw new DomainRuleException("metadata", "metadata must be an object or null.");
        }

        var merged = current is null ? new JsonObject() : JsonNode.Parse(current)!.AsObject();
        var wasEmptyObject = current is not null && merged.Count == 0;
        foreach (var property in change.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                merged.Remove(property.Name);
                continue;
            }

            // A key already there is not held to a newer name rule (a client sending back what it read).
            EnsureScalar(property, checkName: !merged.ContainsKey(property.Name));
            merged[property.Name] = JsonNode.Parse(property.Value.GetRawText());
        }

        return merged.Count > 0 ? Serialize(merged) : wasEmptyObject ? current : null;
    }

    private static JsonObject ToFlatObject(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new DomainRuleException("metadata", "metadata must be an object or null.");
        }

        var obj = new JsonObject();
        foreach (var property in element.EnumerateObject())
        {
            EnsureScalar(property);
            obj[property.Name] = JsonNode.Parse(property.Value.GetRawText());
        }

        return obj;
    }

    private static void EnsureScalar(JsonProperty property, bool checkName = true)
    {
        if (property.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
        {
            throw new DomainRuleException($"metadata.{property.Name}", "metadata values must be strings, numbers or booleans.");
        }

        if (checkName)
        {
            Text.EnsureName(property.Name, "metadata");
        }

        if (property.Value.ValueKind == JsonValueKind.Number && !ReadsAsItSays(property.Value))
        {
            throw new DomainRuleException($"metadata.{property.Name}",
                $"metadata.{property.Name} must be a number within the range of a double (about ±1.8e308, and not so small that it reads as 0, as 1e-400 does).");
        }

        if (property.Value.ValueKind == JsonValueKind.String)
        {
            Text.EnsureFreeText(property.Value.GetString()!, $"metadata.{property.Name}");
        }
    }

    /// <summary>
    /// Whether JSON clients, which read numbers as doubles, read <paramref name="number"/> as what it says: 1e400 came back to
    /// them as Infinity (and left as null), 1e-400 as 0 — stored as sent, it reads as another number than the one kept.
    /// </summary>
    private static bool ReadsAsItSays(JsonElement number)
    {
        if (!number.TryGetDouble(out var value) || !double.IsFinite(value))
        {
            return false;
        }

        if (value != 0)
        {
            return true;
        }

        var text = number.GetRawText();
        var exponent = text.AsSpan().IndexOfAny('e', 'E');
        return !(exponent < 0 ? text.AsSpan() : text.AsSpan(0, exponent)).ContainsAnyInRange('1', '9'); // 0, 0.0, -0e5: a zero
    }

    private static string Serialize(JsonObject obj)
    {
        if (MinimalJsonBytes(obj) > MaxBytes)
        {
            throw new DomainRuleException("metadata", $"metadata must be at most {MaxBytes} bytes when serialized.");
        }

        return obj.ToJsonString(Canonical);
    }

    /// <summary>The size of a flat object as compact UTF-8 JSON with only the escapes JSON requires.</summary>
    internal static int MinimalJsonBytes(JsonObject obj)
    {
        var bytes = 2 + Math.Max(0, obj.Count - 1); // the braces and the commas
        foreach (var (name, value) in obj)
        {
            bytes += StringBytes(name) + 1; // and the colon
            bytes += value!.GetValueKind() == JsonValueKind.String ? StringBytes(value.GetValue<string>()) : Encoding.UTF8.GetByteCount(value.ToJsonString());
        }

        return bytes;
    }

    private static int StringBytes(string value)
    {
        var bytes = 2 + Encoding.UTF8.GetByteCount(value);
        foreach (var c in value)
        {
            bytes += c switch
            {
                '"' or '\\' or '\b' or '\f' or '\n' or '\r' or '\t' => 1, // two-character escapes
                < ' ' => 5, // \u00XX
                _ => 0,
            };
        }

        return bytes;
    }
}
