using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.WebApi.Hosting.OpenApi;

/// <summary>
/// The OpenAPI 3.0 document: both authentication schemes, request fields optional unless the service refuses to go
/// without them, each with the limits its rule holds it to (<see cref="SchemaLimitsAttribute"/>; the rules themselves
/// answer 400), and free-form JSON where the API takes any flat object.
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
            options.AddDocumentTransformer((document, context, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Provisioning API",
                    Version = "v1",
                    Description = "Apps, service accounts, keys and tenant provisioning (Sunshine Conversations and DailyStory compatible).",
                };
                // servers: the public base URL (as every absolute URL the service writes); none in the build-time document.
                document.Servers = [];
                if (context.ApplicationServices.GetService<IHttpContextAccessor>()?.HttpContext is { } http
                    && context.ApplicationServices.GetService<PublicUrls>() is { } urls)
                {
                    document.Servers.Add(new OpenApiServer { Url = urls.BaseUrl(http), Description = "This service" });
                }
                else if (context.ApplicationServices.GetService<PublicUrls>()?.ConfiguredBaseUrl is { } configured)
                {
                    document.Servers.Add(new OpenApiServer { Url = configured, Description = "This service" });
                }

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
            // What the front door and the idempotency layer can answer on any route, in that route's error envelope (a
            // generated client then knows these answers instead of calling them unexpected): 400 (a query parameter or a
            // header given twice or malformed), 404 (an On-Behalf-Of tenant that is not a descendant), 429 and 503 everywhere; on
            // writes 409 (the same Idempotency-Key still running) and 422 (reused for another request); on bodies 413 and 415.
            options.AddOperationTransformer(async (operation, context, cancellationToken) =>
            {
                var isV1 = context.Description.RelativePath?.StartsWith("v1.1/", StringComparison.Ordinal) == true;
                var envelope = isV1 ? typeof(Errors.V1ErrorResponse) : typeof(Errors.V2ErrorResponse);
                var schema = await context.GetOrCreateSchemaAsync(envelope, null, cancellationToken);
                context.Document?.AddComponent(envelope.Name, schema);
                operation.Responses ??= [];
                void Add(string status, string description) => operation.Responses.TryAdd(status, new OpenApiResponse
                {
                    Description = description,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = new OpenApiSchemaReference(envelope.Name, context.Document) },
                    },
                });
                operation.Responses["429"] = new OpenApiResponse
                {
                    Description = "Too many requests; retry after the number of seconds in Retry-After.",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = new OpenApiSchemaReference(envelope.Name, context.Document) },
                    },
                };
                Add("400", "Bad request: a query parameter given twice or malformed, or a malformed header.");
                Add("404", "Not found; also: an On-Behalf-Of tenant that is not a descendant of the caller's.");
                Add("503", "The database is unavailable, read-only or too slow; retry after Retry-After.");
                if (Idempotency.IdempotencyMiddleware.IsWrite(context.Description.HttpMethod ?? string.Empty))
                {
                    Add("409", "Conflict; also: a request with this Idempotency-Key is still running (retry after Retry-After).");
                    Add("422", "idempotency_key_reused: this Idempotency-Key was used for another request.");
                }

                if (context.Description.ParameterDescriptions.Any(p => p.Source == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.Body))
                {
                    Add("413", Errors.ErrorEnvelope.ForStatus(StatusCodes.Status413PayloadTooLarge).Title);
                    Add("415", "The request body must be UTF-8 JSON (Content-Type: application/json).");
                }
            });
            // After the 429 above, so that every response declares the headers.
            options.AddOperationTransformer(DeclareHeaders);
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
                else if (context.JsonPropertyInfo?.CustomConverter?.GetType() is { IsGenericType: true } converter
                         && converter.GetGenericTypeDefinition() == typeof(Contracts.NotNullConverter<>))
                {
                    // Optional, but never null: the value's own type (a converter hides a primitive's from the schema generator).
                    if (NotNullPrimitive(converter.GetGenericArguments()[0]) is { } value)
                    {
                        schema.Type = value.Type;
                        schema.Format = value.Format;
                    }
                    else if (schema.Type is { } given)
                    {
                        schema.Type = given & ~JsonSchemaType.Null;
                    }
                }
                else if (type == typeof(JsonElement) || type == typeof(JsonElement?))
                {
                    // Metadata: a flat object (or null); the rules for its values are enforced by the service.
                    schema.Type = JsonSchemaType.Object | JsonSchemaType.Null;
                    schema.AdditionalPropertiesAllowed = true;
                    schema.Properties?.Clear();
                    schema.Required?.Clear();
                }
                else if (!IsRequest(type))
                {
                    DescribeAnswerFields(schema, context.JsonTypeInfo);
                }

                if (context.JsonPropertyInfo?.AttributeProvider is PropertyInfo property)
                {
                    MarkNullableValues(schema, new NullabilityInfoContext().Create(property));
                }

                if (IsRequest(type))
                {
                    // Request fields are optional on the wire unless declared required ([SchemaLimits(Required = true)]): what
                    // the generator infers is not what the service takes. (Also when the type is first met as a field with a
                    // converter, above: app settings, which required all nine.)
                    schema.Required?.Clear();
                    foreach (var field in context.JsonTypeInfo.Properties.Where(p => LimitsOf(p) is { Required: true }))
                    {
                        (schema.Required ??= new HashSet<string>()).Add(field.Name);
                    }

                    // Closed when the serializer that binds the body refuses a field the type does not have (Program.cs).
                    if (RefusesUnknownFields(type, context.ApplicationServices))
                    {
                        schema.AdditionalPropertiesAllowed = false;
                    }

                    // A request with a field a null clears (bound as JsonElement: a tenant's logoUrl, maxApps, maxTenants, an
                    // app's metadata) stays open here, though the service refuses a field it does not have: NSwag's C# client
                    // leaves a null property out, and its AdditionalProperties ({"maxApps": null}: no budget; {"metadata":
                    // null}: none) is the one way it has to send one (a review: app bodies, closed, lost it).
                    if (type.GetProperties().Any(p => p.PropertyType == typeof(JsonElement)))
                    {
                        schema.AdditionalPropertiesAllowed = true;
                        schema.AdditionalProperties = null;
                    }
                }

                if (LimitsOf(context) is { } limits)
                {
                    DeclareLimits(schema, limits, inBody: context.JsonPropertyInfo is not null);
                }

                return Task.CompletedTask;
            });
        });

    /// <summary>The <see cref="SchemaLimitsAttribute"/> of the field or query parameter being described, if it has one.</summary>
    private static SchemaLimitsAttribute? LimitsOf(OpenApiSchemaTransformerContext context) =>
        context.JsonPropertyInfo is { } field
            ? LimitsOf(field)
            : context.ParameterDescription switch
            {
                // A property of a query model ([FromQuery(Name = "")] PageQuery page): page[size].
                { ModelMetadata: { ContainerType: { } container, PropertyName: { } name } } => container.GetProperty(name)?.GetCustomAttribute<SchemaLimitsAttribute>(),
                { ParameterDescriptor: Microsoft.AspNetCore.Mvc.Controllers.ControllerParameterDescriptor { ParameterInfo: var parameter } } =>
                    parameter.GetCustomAttribute<SchemaLimitsAttribute>(),
                _ => null,
            };

    private static SchemaLimitsAttribute? LimitsOf(System.Text.Json.Serialization.Metadata.JsonPropertyInfo field) =>
        field.AttributeProvider?.GetCustomAttributes(typeof(SchemaLimitsAttribute), false).OfType<SchemaLimitsAttribute>().FirstOrDefault();

    private static void DeclareLimits(OpenApiSchema schema, SchemaLimitsAttribute limits, bool inBody)
    {
        if (limits.Required && schema.Type is { } type)
        {
            schema.Type = type & ~JsonSchemaType.Null;
        }

        var text = schema;
        if (limits.MaxItems >= 0)
        {
            schema.MaxItems = limits.MaxItems;
            // The items' own schema (not one the generator may share with another list of strings).
            text = new OpenApiSchema { Type = schema.Items?.Type ?? JsonSchemaType.String };
            schema.Items = text;
        }

        if (limits.MinLength >= 0)
        {
            text.MinLength = limits.MinLength;
        }

        if (limits.MaxLength >= 0)
        {
            text.MaxLength = limits.MaxLength;
        }

        if (limits.Id)
        {
            text.Pattern = Domain.Common.IdGenerator.Pattern;
        }

        if (limits.Minimum != long.MinValue)
        {
            schema.Minimum = limits.Minimum.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (limits.Maximum != long.MaxValue)
        {
            schema.Maximum = limits.Maximum.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (limits.ValuesOf is { } values)
        {
            // A body field's values as a pattern, not an enum: NSwag's System.Text.Json client writes an enum member by its
            // C# name ("Active", which the service refuses), whatever the enum's wire values. A query parameter's enum it
            // writes by its wire value.
            var allowed = AllowedValues(values).ToList();
            if (inBody)
            {
                schema.Pattern = $"^({string.Join('|', allowed.Select(System.Text.RegularExpressions.Regex.Escape))})$";
            }
            else
            {
                schema.Enum = [.. allowed.Select(v => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(v))];
            }
        }
    }

    private static IEnumerable<string> AllowedValues(Type values) =>
        values == typeof(Domain.Audit.AuditEventType) ? Domain.Audit.AuditEventTypes.All.Select(Domain.Audit.AuditEventTypes.WireName)
        : values is { IsAbstract: true, IsSealed: true } // a static class of string constants
          && values.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
              .Select(f => (string)f.GetRawConstantValue()!).ToList() is [_, ..] constants ? constants
        : throw new InvalidOperationException($"SchemaLimits.ValuesOf: {values.Name} is neither AuditEventType nor a static class of string constants.");

    /// <summary>
    /// A dictionary whose values may be null, by the property's nullable annotations (a tenant's <c>settings</c>: a null
    /// feature or key removes it): its values' schema says so, at every level, so that a generated client may send one.
    /// </summary>
    private static void MarkNullableValues(IOpenApiSchema schema, NullabilityInfo nullability)
    {
        if (nullability.GenericTypeArguments is [_, var value] && schema is OpenApiSchema { AdditionalProperties: OpenApiSchema values })
        {
            if (value.ReadState == NullabilityState.Nullable && values.Type is { } type)
            {
                values.Type = type | JsonSchemaType.Null;
            }

            MarkNullableValues(values, value);
        }
    }

    /// <summary>
    /// Whether MVC's JSON options (which bind request bodies) refuse a field <paramref name="type"/> does not have: the type's
    /// own <c>[JsonUnmappedMemberHandling]</c> or else the options', and no <c>[JsonExtensionData]</c> member to keep it in.
    /// </summary>
    private static bool RefusesUnknownFields(Type type, IServiceProvider services)
    {
        var json = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Mvc.JsonOptions>>().Value.JsonSerializerOptions;
        var info = json.GetTypeInfo(type);
        return info.Kind == System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object
               && (info.UnmappedMemberHandling ?? json.UnmappedMemberHandling) == System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow
               && !info.Properties.Any(p => p.IsExtensionData);
    }

    private static bool IsRequest(Type type) =>
        type.Namespace?.StartsWith(typeof(Contracts.EmptyResponse).Namespace!, StringComparison.Ordinal) == true
        && type.Name.EndsWith("Request", StringComparison.Ordinal);

    /// <summary>The schema type of a <see cref="Contracts.NotNullConverter{T}"/> field's value, when it is a primitive.</summary>
    private static (JsonSchemaType Type, string? Format)? NotNullPrimitive(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) switch
        {
            var t when t == typeof(string) => (JsonSchemaType.String, null),
            var t when t == typeof(bool) => (JsonSchemaType.Boolean, null),
            var t when t == typeof(int) => (JsonSchemaType.Integer, "int32"),
            _ => null,
        };

    private static readonly NullabilityInfoContext Nullability = new();

    /// <summary>
    /// What an answer's fields are on the wire, where the generator's reading of the types says otherwise: a field the
    /// serializer leaves out when null (the cursors and links of a page, a key's secret after its creation, a 4xx's
    /// request id) is not required; a nullable reference to another schema (an event's <c>related</c>) may be null.
    /// </summary>
    private static void DescribeAnswerFields(OpenApiSchema schema, System.Text.Json.Serialization.Metadata.JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object || schema.Properties is null)
        {
            return;
        }

        foreach (var property in typeInfo.Properties)
        {
            var member = property.AttributeProvider as PropertyInfo;
            if (member?.GetCustomAttribute<System.Text.Json.Serialization.JsonIgnoreAttribute>() is
                { Condition: System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull or System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault })
            {
                schema.Required?.Remove(property.Name);
            }

            // Described in place, as a nullable object: OpenAPI 3.0 has no null beside a reference ("nullable" needs a "type"
            // in the same schema, and an allOf of the reference still refuses null: ajv did).
            if (member is not null && schema.Properties.TryGetValue(property.Name, out var described)
                && described.Type is { } kind && kind.HasFlag(JsonSchemaType.Object) && !kind.HasFlag(JsonSchemaType.Null)
                && Nullability.Create(member).ReadState == NullabilityState.Nullable)
            {
                schema.Properties[property.Name] = new OpenApiSchema
                {
                    Type = kind | JsonSchemaType.Null,
                    Description = described.Description,
                    Properties = described.Properties,
                    Required = described.Required,
                };
            }
        }
    }

    /// <summary>
    /// The headers the service reads and writes beyond the body: <c>X-Request-Id</c> on every operation (in and out),
    /// <c>On-Behalf-Of</c> (an account credential acting inside a descendant tenant), <c>Idempotency-Key</c> on writes (with
    /// <c>Idempotent-Replayed</c> on their answers), <c>Location</c> on 201s.
    /// </summary>
    private static Task DeclareHeaders(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = RequestIdMiddleware.Header,
            In = ParameterLocation.Header,
            Required = false,
            Description = $"Optional id for this request (1–{RequestIdMiddleware.MaxLength} printable ASCII characters), echoed in the answer's " +
                          "X-Request-Id, in the logs and in 5xx error bodies. Without it (or when it is not acceptable) the service makes one.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = RequestIdMiddleware.MaxLength },
        });

        operation.Parameters.Add(new OpenApiParameter
        {
            Name = Authentication.OnBehalfOfMiddleware.Header,
            In = ParameterLocation.Header,
            Required = false,
            Description = "Act inside one of the caller's descendant tenants (its id; `self` routes then name that tenant). Account " +
                          "credentials only (other kinds: 403); a tenant that is not a descendant is 404, as if it did not exist.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = Domain.Common.IdGenerator.Pattern },
        });

        var writes = Idempotency.IdempotencyMiddleware.IsWrite(context.Description.HttpMethod ?? string.Empty);
        if (writes)
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = Idempotency.IdempotencyMiddleware.Header,
                In = ParameterLocation.Header,
                Required = false,
                Description = $"Makes a retry safe (1–{Application.Common.Abstractions.IdempotentRequest.MaxKeyLength} printable ASCII characters, scoped to the " +
                              "credential): the same request sent again with the same key gets the first answer back, byte for byte, with " +
                              "`Idempotent-Replayed: true`, and nothing runs again. The same key with a different request is 422 " +
                              "`idempotency_key_reused`; while the first is still running, 409 with `Retry-After`. Not kept: 401, 429 and 5xx " +
                              "answers, and a request refused as sent (400, 405, 415), so the same key with the request corrected runs. " +
                              $"Keys are kept at least {Infrastructure.Retention.RetentionOptions.MinIdempotencyRetentionHours} hours.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = Application.Common.Abstractions.IdempotentRequest.MaxKeyLength },
            });
        }

        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (response is not OpenApiResponse concrete)
            {
                continue;
            }

            concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
            concrete.Headers[RequestIdMiddleware.Header] = new OpenApiHeader
            {
                Description = "The request's id (the client's X-Request-Id when acceptable); 5xx error bodies name it too.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            };
            if (writes && status.StartsWith('2'))
            {
                concrete.Headers[Idempotency.IdempotencyMiddleware.ReplayedHeader] = new OpenApiHeader
                {
                    Description = "`true` when this is the stored answer to an earlier request with the same Idempotency-Key.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [System.Text.Json.Nodes.JsonValue.Create("true")] },
                };
            }

            if (status is "429" or "409" or "503")
            {
                concrete.Headers["Retry-After"] = new OpenApiHeader
                {
                    Description = status == "409"
                        ? "Seconds to wait when the conflict is a request with the same Idempotency-Key still running (absent otherwise)."
                        : "Seconds to wait before the next request.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
                };
            }

            if (status == "401")
            {
                concrete.Headers["WWW-Authenticate"] = new OpenApiHeader
                {
                    Description = "How to authenticate: `Basic realm=\"Provisioning\", Bearer` (or `Bearer` for a refused JWT).",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                };
            }

            if (status == "201")
            {
                concrete.Headers["Location"] = new OpenApiHeader
                {
                    Description = "Absolute URL of the created resource, starting with the public base URL.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri" },
                };
            }
        }

        return Task.CompletedTask;
    }

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
