using Npgsql;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Documentation;

/// <summary>
/// docs/database-rules.sql is the functions and triggers a migrated database holds: the rules that live in SQL, as they
/// stand, in one file (otherwise read through the newest of the migrations that redefine each; a newcomer's review). Set
/// <c>PROVISIONING_UPDATE_DOCS=1</c> to rewrite it after a migration changes one.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class DatabaseRulesDocTests(ServiceFixture service)
{
    private const string Begin = "-- BEGIN generated from a migrated database by DatabaseRulesDocTests";
    private const string End = "-- END generated";

    [Fact]
    public async Task TheDocumentedFunctionsAndTriggers_AreTheMigratedDatabases()
    {
        var lines = new List<string>();
        await using var connection = new NpgsqlConnection(service.ConnectionString);
        await connection.OpenAsync();

        // The service's own: in its schema, not an extension's.
        const string functions = """
            SELECT pg_get_functiondef(p.oid)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p')
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
            ORDER BY p.proname, pg_get_function_identity_arguments(p.oid)
            """;
        await using (var command = new NpgsqlCommand(functions, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                lines.AddRange(reader.GetString(0).TrimEnd().Split('\n').Select(l => l.TrimEnd()));
                lines[^1] += ";";
                lines.Add(string.Empty);
            }
        }

        const string triggers = """
            SELECT pg_get_triggerdef(t.oid)
            FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND NOT t.tgisinternal
            ORDER BY c.relname, t.tgname
            """;
        await using (var command = new NpgsqlCommand(triggers, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0) + ";");
            }
        }

        Assert.True(lines.Count > 100, "no functions found: is the fixture's database migrated?");
        GeneratedDocSection.AssertCurrent(
            NodeProject.RepositoryPath("docs", "database-rules.sql"), Begin, End, lines,
            "The functions and triggers in docs/database-rules.sql differ from a migrated database's");
    }
}
