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

    public static async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
