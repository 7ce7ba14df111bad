// The benchmark's baseline (bench/run): what the cheapest ASP.NET Core endpoint costs on this machine.
//   GET /plain      a small JSON object, no I/O             (compared with the service's /healthz)
//   GET /apps/{id}  the app row read with raw, pooled Npgsql (compared with the service's GET /v2/apps/{id})
// No authentication, no middleware, no logging: the floor the service's figures are divided by.
using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using Provisioning.Bench.Baseline;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, BaselineJson.Default));

var connectionString = builder.Configuration.GetConnectionString("Provisioning")
    ?? throw new InvalidOperationException("ConnectionStrings__Provisioning is required.");
await using var dataSource = NpgsqlDataSource.Create(connectionString);

var app = builder.Build();

app.MapGet("/plain", () => new Plain("ok"));

app.MapGet("/apps/{id}", async (string id, CancellationToken ct) =>
{
    await using var command = dataSource.CreateCommand(
        """
        SELECT id, display_name, metadata,
               settings_app_localization_enabled, settings_conversation_retention_seconds, settings_disable_conversation_reopen,
               settings_echo_postback, settings_end_session_enabled, settings_ignore_auto_conversation_start,
               settings_mask_credit_card_numbers, settings_multi_convo_enabled, settings_use_animal_names
        FROM apps WHERE id = $1
        """);
    command.Parameters.Add(new NpgsqlParameter { Value = id });
    await using var reader = await command.ExecuteReaderAsync(ct);
    if (!await reader.ReadAsync(ct))
    {
        return Results.NotFound();
    }

    var settings = new AppSettings(
        reader.GetBoolean(3), reader.GetInt32(4), reader.GetBoolean(5), reader.GetBoolean(6), reader.GetBoolean(7),
        reader.GetBoolean(8), reader.GetBoolean(9), reader.GetBoolean(10), reader.GetBoolean(11));
    return Results.Ok(new AppEnvelope(new AppRow(reader.GetString(0), reader.GetString(1), settings,
        reader.IsDBNull(2) ? null : new RawJson(reader.GetString(2)))));
});

await app.RunAsync();

namespace Provisioning.Bench.Baseline
{
    internal sealed record Plain(string Status);

    internal sealed record AppSettings(
        bool AppLocalizationEnabled, int ConversationRetentionSeconds, bool DisableConversationReopen, bool EchoPostback,
        bool EndSessionEnabled, bool IgnoreAutoConversationStart, bool MaskCreditCardNumbers, bool MultiConvoEnabled,
        bool UseAnimalNames);

    internal sealed record AppRow(string Id, string DisplayName, AppSettings Settings, RawJson? Metadata);

    /// <summary>metadata is stored as json text and written into the answer as it is (an object, not a string), unparsed.</summary>
    [JsonConverter(typeof(RawJsonConverter))]
    internal sealed record RawJson(string Json);

    internal sealed class RawJsonConverter : JsonConverter<RawJson>
    {
        public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new(JsonDocument.ParseValue(ref reader).RootElement.GetRawText());

        public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.Json, skipInputValidation: true);
    }

    internal sealed record AppEnvelope(AppRow App);

    [JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
    [JsonSerializable(typeof(Plain))]
    [JsonSerializable(typeof(AppEnvelope))]
    internal sealed partial class BaselineJson : JsonSerializerContext;
}
