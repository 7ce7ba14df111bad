using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Provisioning.Domain.Common;

namespace Provisioning.WebApi.Contracts;

/// <summary>
/// The rule for every string of a JSON body, in the fields a route reads and in those it ignores (API.md: an unpaired
/// surrogate anywhere in the body, NUL or another C0 control in any string, is 400): values are Unicode text (valid
/// UTF-8, no unpaired surrogate escape) without NUL or a control character other than tab, CR and LF; names (object keys)
/// without any control character. The fields a route reads have stricter rules of their own (their converters and the
/// domain); this is the floor for all the rest, which the serializer skips without looking.
/// </summary>
public static class JsonBodyText
{
    /// <summary>How deep a body may nest, here and in the serializer (whose own default, 32 in MVC, made deeper valid JSON "not valid JSON").</summary>
    public const int MaxDepth = 64;

    /// <summary>The field and sentence of the first string that breaks the rule, or null (also for a body that is not JSON: the
    /// serializer says so).</summary>
    public static (string Field, string Message)? FirstProblem(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth });
        var path = new List<string>();
        var arrayIndex = new List<int>(); // per open container: -1 for an object, else the next element's index
        var names = new List<HashSet<string>?>(); // per open container: an object's names so far (made at its first name)
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        NextElement(path, arrayIndex);
                        arrayIndex.Add(reader.TokenType == JsonTokenType.StartArray ? 0 : -1);
                        path.Add(string.Empty);
                        names.Add(null);
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        arrayIndex.RemoveAt(arrayIndex.Count - 1);
                        path.RemoveAt(path.Count - 1);
                        names.RemoveAt(names.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        if (Read(ref reader) is not { } name)
                        {
                            // Named by the object it is in: the path still held the name before it, which was blamed (a probe).
                            path[^1] = string.Empty;
                            return (Field(path), $"{Field(path)}: a name must be valid Unicode text (UTF-8, and no unpaired surrogate escape such as \\ud800).");
                        }

                        path[^1] = name;
                        if (Text.HasAsciiControl(name))
                        {
                            // (The title writes the control character as its escape: ErrorEnvelope.Body, as every title.)
                            return (Field(path), $"{Field(path)}: a name must not contain control characters.");
                        }

                        // A name given twice in one object, in fields the route ignores too (the serializer refuses it only in
                        // the fields it binds; {"zz":1,"zz":2} went through, and a provisioning body said "must be a JSON object").
                        if (!(names[^1] ??= new HashSet<string>(StringComparer.Ordinal)).Add(name))
                        {
                            return (Field(path), $"{Field(path)} is given more than once.");
                        }

                        break;
                    case JsonTokenType.String:
                        NextElement(path, arrayIndex);
                        if (Read(ref reader) is not { } value)
                        {
                            return (Field(path), $"{Field(path)} must be valid Unicode text (UTF-8, and no unpaired surrogate escape such as \\ud800).");
                        }

                        if (!Text.IsValidFreeText(value))
                        {
                            return (Field(path), Text.FreeTextRule(Field(path)));
                        }

                        break;
                    default:
                        NextElement(path, arrayIndex);
                        break;
                }
            }
        }
        catch (JsonException) when (reader.CurrentDepth >= MaxDepth - 1) // (the depth of the container it was in, 0-based)
        {
            return (string.Empty, $"The request body is nested deeper than {MaxDepth} levels."); // valid JSON, maybe: not "not JSON"
        }
        catch (JsonException)
        {
            return null; // not JSON: the serializer's answer is the one to give
        }

        return null;
    }

    /// <summary>The string the reader is on, or null when it is not Unicode text.</summary>
    private static string? Read(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && !Utf8.IsValid(reader.ValueSpan))
        {
            return null;
        }

        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null; // an unpaired surrogate escape, or bytes that are not UTF-8
        }
    }

    /// <summary>In an array, the element about to be read gets its index as its name in the path.</summary>
    private static void NextElement(List<string> path, List<int> arrayIndex)
    {
        if (arrayIndex.Count > 0 && arrayIndex[^1] >= 0)
        {
            path[^1] = $"[{arrayIndex[^1]}]";
            arrayIndex[^1]++;
        }
    }

    private static string Field(List<string> path)
    {
        var field = new StringBuilder();
        foreach (var segment in path)
        {
            if (segment.Length == 0)
            {
                continue;
            }

            if (field.Length > 0 && !segment.StartsWith('['))
            {
                field.Append('.');
            }

            field.Append(segment);
        }

        return field.Length == 0 ? "body" : field.ToString();
    }
}
