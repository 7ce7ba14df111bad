using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Provisioning.WebApi.Errors;

/// <summary>
/// Turns model-binding failures (malformed JSON, wrong types, missing body, bad query values)
/// into a 400 that names the field, in the route's envelope. Framework messages (which mention
/// .NET types and byte positions) are replaced by plain ones.
/// </summary>
public static class ModelStateErrors
{
    public static IActionResult ToResult(ActionContext context)
    {
        // A field-level error makes the generic "body is invalid" one for the same request redundant.
        var invalid = context.ModelState.Where(e => e.Value?.ValidationState == ModelValidationState.Invalid).ToList();
        var fieldErrors = invalid.Where(e => e.Key.StartsWith("$.", StringComparison.Ordinal)).ToList();
        var errors = (fieldErrors.Count > 0 ? fieldErrors : invalid)
            .Select(e => new ApiError("bad_request", Describe(e.Key, e.Value!, context)))
            .DistinctBy(e => e.Title)
            .ToList();

        if (errors.Count == 0)
        {
            errors.Add(new ApiError("bad_request", "The request is not valid."));
        }

        return new ObjectResult(ErrorEnvelope.Body(context.HttpContext, errors)) { StatusCode = StatusCodes.Status400BadRequest };
    }

    private static readonly string ControlCharacterMessage = new Contracts.ControlCharacterException().Message;

    private static string Describe(string key, ModelStateEntry entry, ActionContext context)
    {
        var field = key.StartsWith("$.", StringComparison.Ordinal) ? key[2..] : key;
        var isBodyParameter = context.ActionDescriptor.Parameters.Any(p =>
            p.Name == key && p.BindingInfo?.BindingSource == BindingSource.Body);
        if (field is "" or "$" || isBodyParameter)
        {
            var hasBody = context.HttpContext.Request.ContentLength is > 0 || context.HttpContext.Request.Headers.TransferEncoding.Count > 0;
            return hasBody ? "The request body is not valid JSON." : "A JSON request body is required.";
        }

        if (entry.Errors.Any(e => e.Exception is Contracts.ControlCharacterException || e.ErrorMessage == ControlCharacterMessage))
        {
            return Domain.Common.Text.FreeTextRule(field);
        }

        if (entry.Errors.Any(e => e.Exception is not null || e.ErrorMessage.Contains("JSON", StringComparison.OrdinalIgnoreCase)))
        {
            return $"{field} has an invalid value or type.";
        }

        return $"{field}: the value '{Truncate(entry.AttemptedValue)}' is not valid.";
    }

    private static string Truncate(string? value) => value is null ? string.Empty : value.Length <= 40 ? value : value[..40] + "…";
}
