using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Provisioning.WebApi.Hosting;

/// <summary>Declares the JSON type of a tri-state (absent / null / value) request field bound as <see cref="JsonElement"/>.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class NullableValueAttribute(JsonSchemaType type, string? format = null) : Attribute
{
    public JsonSchemaType Type { get; } = type;
    public string? Format { get; } = format;
}

/// <summary>
/// The OpenAPI 3.0 document: both authentication schemes, request fields optional (the rules are
/// the validators', reported as 400), and free-form JSON where the API takes any flat object.
/// </summary>
public static class OpenApiSetup
{
    public const string BasicScheme = "basicAuth";
    public const string BearerScheme = "bearerAuth";

    public static IServiceCollection AddProvisioningOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_0;

            // Free-form JSON (metadata) is described inline, not as a "JsonElement" component.
            options.CreateSchemaReferenceId = type =>
                type.Type == typeof(JsonElement) ? null : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Provisioning API",
                    Version = "v1",
                    Description = "Apps, service accounts, keys and tenant provisioning (Sunshine Conversations and DailyStory compatible).",
                };
                document.Servers?.Clear();
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
                {
                    [BasicScheme] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.Http,
                        Scheme = "basic",
                        Description = "Key id and secret (act_, svc_ or app_ key), or user 'api' with a tenant token.",
                    },
                    [BearerScheme] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.Http,
                        Scheme = "bearer",
                        BearerFormat = "JWT",
                        Description = "An HS256 JWT signed with a key secret (kid = key id, scope = account or app), or a tenant token.",
                    },
                };
                foreach (var schema in document.Components.Schemas?.Values.OfType<OpenApiSchema>() ?? [])
                {
                    CollapseNullableReferences(schema);
                }

                document.Security =
                [
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BasicScheme, document)] = [] },
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] },
                ];
                return Task.CompletedTask;
            });
            // The rate limiter can answer any route with 429, in that route's error envelope.
            options.AddOperationTransformer(async (operation, context, cancellationToken) =>
            {
                var isV1 = context.Description.RelativePath?.StartsWith("v1.1/", StringComparison.Ordinal) == true;
                var envelope = isV1 ? typeof(Errors.V1ErrorResponse) : typeof(Errors.V2ErrorResponse);
                var schema = await context.GetOrCreateSchemaAsync(envelope, null, cancellationToken);
                context.Document?.AddComponent(envelope.Name, schema);
                operation.Responses ??= [];
                operation.Responses["429"] = new OpenApiResponse
                {
                    Description = "Too many requests; retry after the number of seconds in Retry-After.",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = new OpenApiSchemaReference(envelope.Name, context.Document) },
                    },
                };
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                var type = context.JsonTypeInfo.Type;
                if (context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(NullableValueAttribute), false)
                        .OfType<NullableValueAttribute>().FirstOrDefault() is { } declared)
                {
                    // A tri-state field (absent / null / value) bound as JsonElement: describe the value it takes.
                    schema.Type = declared.Type | JsonSchemaType.Null;
                    schema.Format = declared.Format;
                    schema.Properties?.Clear();
                }
                else if (type == typeof(JsonElement) || type == typeof(JsonElement?))
                {
                    // Metadata: a flat object (or null); the rules for its values are enforced by the service.
                    schema.Type = JsonSchemaType.Object | JsonSchemaType.Null;
                    schema.AdditionalPropertiesAllowed = true;
                    schema.Properties?.Clear();
                    schema.Required?.Clear();
                }
                else if (type.Namespace?.StartsWith(typeof(Contracts.EmptyResponse).Namespace!, StringComparison.Ordinal) == true
                         && type.Name.EndsWith("Request", StringComparison.Ordinal))
                {
                    // Request fields are optional on the wire; missing required ones are 400s from the validators.
                    schema.Required?.Clear();
                }

                return Task.CompletedTask;
            });
        });

    /// <summary>
    /// A nullable object property comes out as <c>oneOf: [{type: null}, {$ref}]</c> (written for 3.0 as <c>enum: [null]</c>), which client
    /// generators turn into odd types. An absent or null optional object means the same here, so the
    /// property is written as the plain reference.
    /// </summary>
    private static void CollapseNullableReferences(OpenApiSchema schema)
    {
        if (schema.Properties is null)
        {
            return;
        }

        foreach (var (name, property) in schema.Properties.ToList())
        {
            if (property.OneOf is { Count: 2 } options
                && options.SingleOrDefault(o => o is OpenApiSchema { Type: JsonSchemaType.Null }) is { } nullOption)
            {
                schema.Properties[name] = options.Single(o => !ReferenceEquals(o, nullOption));
            }
        }
    }
}
