using Microsoft.EntityFrameworkCore;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The rights the service's database role needs: to read and write each of the service's tables. A role with fewer (a
/// read-only user given by mistake, a grant forgotten on a table) started, said ready, and every change answered 500
/// with a stack trace (an operator's probe). The start refuses such a role and <c>/readyz</c> is 503 while one lacks a
/// right, each naming the relations; a statement refused for a right (42501) answers 503 like an outage
/// (<see cref="DatabaseUnavailable"/>). Only the service's own relations are checked, found as its statements find them
/// (through <c>search_path</c>): a table someone else keeps in the same schema is none of its business (checking the
/// whole schema made one stray table take every instance out of service; a review).
/// </summary>
public static class DatabaseGrants
{
    /// <summary>
    /// What the service's own SQL reads and writes beside the model's tables (the migrations make them with hand-written SQL).
    /// </summary>
    private static readonly string[] OutsideTheModel = ["master_key_check", "retired_master_keys", "tenant_app_counts", "tenant_service_account_counts", "service_account_grant_versions"];

    /// <summary>
    /// The tables given as {0} that the role cannot read and write, by name, "" when none.
    /// One that does not resolve is not named here (a table renamed or dropped by hand, or a schema the role cannot use, is
    /// no missing right on it: the statement that needs it then says so, 42P01). One right per call:
    /// <c>has_table_privilege</c> given a list is true when the role holds any of them.
    /// </summary>
    private static readonly string MissingSql = """
        SELECT coalesce(string_agg(r.name, ', ' ORDER BY r.name), '') AS "Value"
        FROM unnest({0}::text[]) AS r(name)
        JOIN pg_class c ON c.oid = to_regclass(quote_ident(r.name))
        WHERE NOT (has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'INSERT')
                   AND has_table_privilege(c.oid, 'UPDATE') AND has_table_privilege(c.oid, 'DELETE'))
        """;

    /// <summary>A sentence naming the relations the role lacks a right on, or null when it has them all.</summary>
    public static async Task<string?> MissingAsync(ProvisioningDbContext db, CancellationToken cancellationToken)
    {
        string[] relations = [.. db.Model.GetEntityTypes().Select(e => e.GetTableName()).OfType<string>().Distinct(), .. OutsideTheModel];
        var missing = await db.Database.SqlQueryRaw<string>(MissingSql, [relations]).SingleAsync(cancellationToken); // one parameter, the array
        return missing.Length == 0 ? null : Sentence($"on {missing} (SELECT, INSERT, UPDATE and DELETE)");
    }

    /// <summary>What a role lacking a right is told, at start and on <c>/readyz</c>: <paramref name="what"/>, then what to do.</summary>
    public static string Sentence(string what, string setting = DependencyInjection.ConnectionStringName) =>
        $"The database role of ConnectionStrings:{setting} lacks a right it needs {what}: grant it, or connect as the role " +
        "that owns the tables (docs/operations.md, \"The database role\").";
}
