using Npgsql;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>One statement on a database of a test's own, on a connection of its own (not the service's pool).</summary>
public static class Sql
{
    /// <summary>The first column of the first row, as an int (a count); <paramref name="parameters"/> are $1, $2, ….</summary>
    public static async Task<int> CountAsync(string database, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return Convert.ToInt32(await command.ExecuteScalarAsync());
    }

    /// <summary>
    /// An <c>INSERT</c> of <paramref name="perTenant"/> apps for each id that <paramref name="tenants"/> yields (a row source
    /// of one column, such as <c>VALUES ($1), ($2)</c>), as an operator's SQL writes them: named <c>bulk 1</c>, <c>bulk 2</c>, …
    /// in each tenant, ids from an md5 (or from <paramref name="id"/>, of the tenant <c>t.id</c> and the number <c>g</c>).
    /// </summary>
    public static string InsertAppsSql(string tenants, int perTenant, string id = "substr(md5(t.id || '/' || g), 1, 24)") => $"""
        INSERT INTO apps (id, tenant_id, display_name, created_at, settings_app_localization_enabled,
                          settings_conversation_retention_seconds, settings_echo_postback, settings_ignore_auto_conversation_start,
                          settings_mask_credit_card_numbers, settings_multi_convo_enabled, settings_use_animal_names,
                          settings_disable_conversation_reopen, settings_end_session_enabled)
        SELECT {id}, t.id, 'bulk ' || g, now(), false, 0, false, false, false, false, false, false, false
        FROM generate_series(1, {perTenant}) AS g, ({tenants}) AS t(id)
        """;

    /// <summary>
    /// How long a statement that seeds or changes a test's data may take (<see cref="ExecuteAsync"/>): 10 minutes, not
    /// Npgsql's 30 s. Seeds of tens of thousands of rows take seconds, and far longer on a busy host (the test collections
    /// run side by side): a PlanShapeTests seed passed 30 s while a probe loaded the machine, and the suite failed on it.
    /// </summary>
    public const int SeedTimeoutSeconds = 600;

    /// <summary>Runs <paramref name="sql"/> (seeds, changes a test makes by hand), with <see cref="SeedTimeoutSeconds"/>.</summary>
    public static async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = SeedTimeoutSeconds };
        await command.ExecuteNonQueryAsync();
    }
}
