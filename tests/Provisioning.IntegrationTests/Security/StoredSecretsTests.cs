using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Provisioning.Infrastructure.Security;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Security;

/// <summary>
/// What the database stores as bytes, each column known for what it holds: a secret under the master key is walked by
/// every step that must know it (rotate-secrets' passes and last step, the master-key check's stand-in secrets, a trigger
/// refusing it under a retired key through the one function that says what that is), so a new encrypted column cannot be
/// added to one and forgotten by the others (docs/architecture.md, "A new encrypted column"; the stored answers were once
/// left out of the retired-key rule).
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class StoredSecretsTests(ServiceFixture service)
{
    /// <summary>The columns encrypted under the master key (<c>AesGcmSecretProtector</c>).</summary>
    private static readonly string[] Encrypted = ["api_keys.protected_secret", "idempotency_records.protected_body"];

    /// <summary>The other byte columns, and why none is a secret the rotation moves.</summary>
    private static readonly Dictionary<string, string> NotEncrypted = new()
    {
        ["master_key_check.value"] = "a known value under each key a rotation is moving between (MasterKeyCheck moves it itself)",
        ["idempotency_records.fingerprint"] = "a hash of the request",
        ["provisioning_keys.secret_hash"] = "a hash of the secret, never the secret",
        ["retired_master_keys.key_id"] = "a key's fingerprint",
    };

    [Fact]
    public async Task EveryByteColumn_IsKnownForWhatItHolds_AndEveryEncryptedOne_IsRefusedUnderARetiredKey()
    {
        await using var connection = new NpgsqlConnection(service.ConnectionString);
        await connection.OpenAsync();
        var columns = await ListAsync(connection, """
            SELECT table_name || '.' || column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND data_type = 'bytea' ORDER BY 1
            """);
        Assert.True(columns.Order().SequenceEqual(Encrypted.Concat(NotEncrypted.Keys).Order()),
            "The byte columns changed: " + string.Join(", ", columns) + ". One holding a secret under the master key must be " +
            "walked by SecretRotation (its passes, PausedTables, PendingCount), MasterKeyCheck.SecretsWithoutACheckSql and a " +
            "retired-key trigger, then listed in Encrypted here; any other goes into NotEncrypted with what it holds.");

        foreach (var column in Encrypted)
        {
            var (table, name) = (column.Split('.')[0], column.Split('.')[1]);
            var triggers = await ListAsync(connection, $"""
                SELECT p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                WHERE t.tgrelid = '{table}'::regclass AND NOT t.tgisinternal AND t.tgenabled <> 'D' AND p.proname LIKE 'refuse%retired_master_key'
                """);
            Assert.True(triggers.Count == 1, $"{table} has {triggers.Count} enabled triggers refusing a secret under a retired master key, not one");
            // The rule itself is one function's (RetiredMasterKeyRuleInOneFunction); the trigger asks it about this column.
            Assert.True(triggers[0].Contains($"under_retired_master_key(NEW.{name})", StringComparison.Ordinal),
                $"{table}'s trigger does not ask under_retired_master_key about {name}: {triggers[0]}");
        }

        // The rotation's last step pauses the writes of exactly these tables; its count of what is left, and the master-key
        // check's stand-ins for a missing check value, read each column.
        Assert.Equal(Encrypted.Select(column => column.Split('.')[0]).Order(), SecretRotation.PausedTableNames.Order());
        foreach (var (table, name) in Encrypted.Select(column => (column.Split('.')[0], column.Split('.')[1])))
        {
            foreach (var (sql, what) in new[] { (SecretRotation.PendingCount, "SecretRotation.PendingCount"), (MasterKeyCheck.SecretsWithoutACheckSql, "MasterKeyCheck.SecretsWithoutACheckSql") })
            {
                Assert.True(sql.Contains($"FROM {table}", StringComparison.Ordinal) && sql.Contains(name, StringComparison.Ordinal),
                    $"{what} does not read {table}.{name}");
            }
        }
    }

    [Fact]
    public async Task ASecretCopiedIntoAnotherRow_DecryptsThereNeither_ToBeReadThroughTheApi_NorToSignIn()
    {
        // A security review, with write access to the database and no master key: the root's secret copied into an app key's
        // row was returned by that key's GET; a stored answer (with a key's secret in it) likewise; and a key of the root
        // tenant made with the ciphertext of a secret one knew signed in as the root. Each secret is bound to its row now.
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var app = await client.CreateAppAsync();
        var victim = await client.CreateAppKeyAsync(app);
        using var keyed = new HttpRequestMessage(HttpMethod.Post, $"/v2/apps/{app}/keys") { Content = JsonContent.Create(new { displayName = "retried" }) };
        keyed.Headers.Add("Idempotency-Key", "copied-" + Guid.NewGuid().ToString("N"));
        using var made = await client.SendAsync(keyed);
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        var known = (string)JsonNode.Parse(await made.Content.ReadAsStringAsync())!["key"]!["secret"]!;
        var knownId = (string)JsonNode.Parse(await made.Content.ReadAsStringAsync())!["key"]!["id"]!;

        await using var connection = new NpgsqlConnection(service.ConnectionString);
        await connection.OpenAsync();
        foreach (var (copied, secretInIt) in new[]
                 {
                     ($"SELECT protected_secret FROM api_keys WHERE id = '{ServiceFixture.RootKeyId}'", ServiceFixture.RootSecret),
                     ($"SELECT protected_body FROM idempotency_records WHERE scope = '{tenant.KeyId}' AND key = '{keyed.Headers.GetValues("Idempotency-Key").Single()}'", known),
                 })
        {
            await ExecuteAsync(connection, $"UPDATE api_keys SET protected_secret = ({copied}) WHERE id = '{victim.Id}'");
            using var read = await client.GetAsync($"/v2/apps/{app}/keys/{victim.Id}");
            Assert.Equal(HttpStatusCode.InternalServerError, read.StatusCode);
            Assert.DoesNotContain(secretInIt, await read.Content.ReadAsStringAsync());
        }

        // A key of the root tenant, with the ciphertext of a secret one knows: not signed in.
        const string forged = "act_0000000000000000000f0d9e";
        await ExecuteAsync(connection,
            "INSERT INTO api_keys (id, kind, tenant_id, display_name, protected_secret, is_tenant_token, created_at) " +
            $"SELECT '{forged}', r.kind, r.tenant_id, 'forged', (SELECT protected_secret FROM api_keys WHERE id = '{knownId}'), false, now() " +
            $"FROM api_keys r WHERE r.id = '{ServiceFixture.RootKeyId}'");
        try
        {
            using var asRoot = service.WithBasic(forged, known);
            using var answer = await asRoot.GetAsync("/v2/keys");
            Assert.Equal(HttpStatusCode.InternalServerError, answer.StatusCode);
        }
        finally
        {
            await ExecuteAsync(connection, $"DELETE FROM api_keys WHERE id = '{forged}'");
        }

        // Where it was written, it still reads.
        using var own = service.WithBasic(knownId, known);
        Assert.Equal(HttpStatusCode.OK, (await own.GetAsync($"/v2/apps/{app}")).StatusCode);
    }

    [Fact]
    public async Task TheRetiredKeyRule_ReadsEveryVersionOfSecretThatNamesItsKey()
    {
        // The versions are written in C# (AesGcmSecretProtector) and in SQL (under_retired_master_key): a version the rule did
        // not read would let secrets under a retired key be written (it read version 2 only when version 3 came).
        Assert.Contains(new AesGcmSecretProtector(new byte[32]).CurrentKeyHeader[0], AesGcmSecretProtector.VersionsNamingTheirKey);
        var retired = System.Security.Cryptography.RandomNumberGenerator.GetBytes(4);
        await using var connection = new NpgsqlConnection(service.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync(); // (rolled back: the shared database keeps no retired key)
        await using (var retire = new NpgsqlCommand("INSERT INTO retired_master_keys (key_id) VALUES ($1)", connection, transaction) { Parameters = { new() { Value = retired } } })
        {
            await retire.ExecuteNonQueryAsync();
        }

        foreach (var version in AesGcmSecretProtector.VersionsNamingTheirKey.Append((byte)1))
        {
            await using var ask = new NpgsqlCommand("SELECT under_retired_master_key($1)", connection, transaction)
            {
                Parameters = { new() { Value = (byte[])[version, .. retired, .. new byte[60]] } },
            };
            Assert.True((bool)(await ask.ExecuteScalarAsync())! == (version != 1), $"under_retired_master_key on a secret of version {version}");
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    private static async Task<List<string>> ListAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        List<string> rows = [];
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
