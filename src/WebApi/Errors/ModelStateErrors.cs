using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.WebApi.Errors;

/// <summary>
/// Turns model-binding failures (malformed JSON, wrong types, missing body, bad query values)
/// into a 400 that names the field, in the route's envelope. Framework messages (which mention
/// .NET types and byte positions) are replaced by plain ones.
/// </summary>
public static partial class ModelStateErrors
{
    public static IActionResult ToResult(ActionContext context)
    {
        // A field-level error makes the generic "body is invalid" one for the same request redundant.
        var invalid = context.ModelState.Where(e => e.Value?.ValidationState == ModelValidationState.Invalid).ToList();
        var fieldErrors = invalid.Where(e => FieldOf(e.Key) is not null).ToList();
        var errors = (fieldErrors.Count > 0 ? fieldErrors : invalid)
            .Select(e => ErrorEnvelope.Error(StatusCodes.Status400BadRequest, Describe(e.Key, e.Value!, context)))
            .DistinctBy(e => e.Title)
            .ToList();
        if (errors.Find(e => e.Title == NotJson) is { } notJson)
        {
            errors = [notJson]; // nothing else about a body that could not be read is worth saying
        }

        if (errors.Count == 0)
        {
            errors.Add(ErrorEnvelope.Default(StatusCodes.Status400BadRequest));
        }

        return new ObjectResult(ErrorEnvelope.Body(context.HttpContext, errors)) { StatusCode = StatusCodes.Status400BadRequest };
    }

    private static readonly string ControlCharacterMessage = new Contracts.ControlCharacterException().Message;

    private const string NotJson = "The request body is not valid JSON.";

    /// <summary>The longest field name a title quotes whole: a client's 20,000-character unknown field made a 20 KB title.</summary>
    private const int LongestQuotedField = 100;

    private static string Shortened(string field) => Domain.Common.Text.Shortened(field, LongestQuotedField);

    /// <summary>
    /// A body field's path as a title names it, or null for what is not one: <c>$.settings.x</c> as <c>settings.x</c>, and a
    /// name the JSON path brackets (a space, a dot, a quote in it) <c>$['a b']</c> as <c>['a b']</c> — taken for the body as a
    /// whole, it said "The request body must be a JSON object." before naming the field (a probe).
    /// </summary>
    private static string? FieldOf(string key) =>
        key.StartsWith("$.", StringComparison.Ordinal) ? key[2..] : key.StartsWith("$[", StringComparison.Ordinal) ? key[1..] : null;

    private static string Describe(string key, ModelStateEntry entry, ActionContext context)
    {
        var field = Shortened(FieldOf(key) ?? key);
        var isBodyParameter = context.ActionDescriptor.Parameters.Any(p =>
            p.Name == key && p.BindingInfo?.BindingSource == BindingSource.Body);
        // The JSON reader's own complaints (cut short, a stray character) carry a byte position; a value of the wrong
        // type says "could not be converted". The first is the body's fault wherever the reader stopped.
        if (entry.Errors.Any(e => e.ErrorMessage.Contains("BytePositionInLine", StringComparison.Ordinal)
                                  && !e.ErrorMessage.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)))
        {
            return NotJson;
        }

        if (field is "" or "$" || isBodyParameter)
        {
            var hasBody = BufferedBody.IsSent(context.HttpContext.Request);
            return hasBody ? "The request body must be a JSON object." : "A JSON request body is required.";
        }

        if (entry.Errors.Any(e => e.Exception is Contracts.ControlCharacterException || e.ErrorMessage == ControlCharacterMessage))
        {
            return Domain.Common.Text.FreeTextRule(field);
        }

        if (entry.Errors.Any(e => e.ErrorMessage == Contracts.SafeStringConverter.NotUnicode))
        {
            return $"{field} must be valid Unicode text (an unpaired surrogate escape such as \\ud800 is not).";
        }

        if (entry.Errors.Any(e => e.ErrorMessage.StartsWith(Contracts.WholeNumberConverter.Rule, StringComparison.Ordinal)))
        {
            return $"{field} {Contracts.WholeNumberConverter.Rule}";
        }

        if (entry.Errors.Any(e => e.ErrorMessage.StartsWith(Contracts.Rfc3339Converter.Rule, StringComparison.Ordinal)))
        {
            return $"{field} {Contracts.Rfc3339Converter.Rule}";
        }

        if (entry.Errors.Any(e => e.ErrorMessage.StartsWith(Contracts.NotNullConverter<object>.NullRefused, StringComparison.Ordinal)))
        {
            // A create has nothing to keep (a probe read "keep it as it is" on a POST as a promise), and leaving out a field
            // it requires is no better: no advice.
            return HttpMethods.IsPost(context.HttpContext.Request.Method)
                ? $"{field} cannot be null."
                : $"{field} cannot be null: leave it out to keep it as it is.";
        }

        if (entry.Errors.Any(e => e.ErrorMessage == Contracts.SafeStringConverter.NotAString))
        {
            return $"{field} must be a string.";
        }

        // A field the body type does not have (UnmappedMemberHandling.Disallow, Program.cs): "The JSON property 'x' could
        // not be mapped to any .NET member contained in type …".
        if (entry.Errors.Any(e => e.ErrorMessage.Contains("could not be mapped to any .NET member", StringComparison.Ordinal)))
        {
            return $"{field} is not a field of this request.";
        }

        // AllowDuplicateProperties = false (Program.cs): "Duplicate property 'k' encountered during deserialization…".
        if (entry.Errors.Select(e => DuplicateProperty().Match(e.ErrorMessage)).FirstOrDefault(m => m.Success) is { } duplicate)
        {
            var name = duplicate.Groups[1].Value;
            // Property names match case-insensitively, so {"name":"a","Name":"b"} names one field twice, its path in either case.
            return field.Equals(name, StringComparison.OrdinalIgnoreCase) || field.EndsWith("." + name, StringComparison.OrdinalIgnoreCase)
                ? $"{field[..^name.Length]}{name} is given more than once."
                : $"{field}.{name} is given more than once.";
        }

        // The same in a dictionary (tenant settings): "Duplicate properties not allowed during deserialization.", its path
        // ending at the key given twice.
        if (entry.Errors.Any(e => e.ErrorMessage.StartsWith("Duplicate properties not allowed", StringComparison.Ordinal)))
        {
            return $"{field} is given more than once.";
        }

        if (entry.Errors.Any(e => e.Exception is not null || e.ErrorMessage.Contains("JSON", StringComparison.OrdinalIgnoreCase)))
        {
            return $"{field} has an invalid value or type.";
        }

        // A body field has no attempted value to show (it said "the value '' is not valid").
        return entry.AttemptedValue is null
            ? $"{field} has an invalid value or type."
            : $"{field}: the value '{Truncate(entry.AttemptedValue)}' is not valid.";
    }

    [System.Text.RegularExpressions.GeneratedRegex("^Duplicate property '(.+?)'")]
    private static partial System.Text.RegularExpressions.Regex DuplicateProperty();

    private static string Truncate(string? value) => value is null ? string.Empty : value.Length <= 40 ? value : value[..40] + "…";
}
