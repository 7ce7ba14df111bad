using Microsoft.EntityFrameworkCore;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The rights the service's database role needs: to read and write every table of its schema, and to use its sequences
/// (the audit events' order). A role with fewer (a
/// read-only user given by mistake, a grant forgotten on a table) started, said ready, and every change answered 500 with a
/// stack trace (an operator's probe). The start refuses such a role and <c>/readyz</c> is 503 while one lacks a right,
/// each naming the tables; a statement refused for a right (42501) answers 503 like an outage (<see cref="DatabaseUnavailable"/>).
/// </summary>
public static class DatabaseGrants
{
    /// <summary>
    /// The tables of the current schema the role cannot read and write, and the sequences it cannot use, by name ("" when none). (One right per call:
    /// <c>has_table_privilege</c> given a list is true when the role holds any of them.)
    /// </summary>
    private static readonly string MissingSql = """
        SELECT coalesce(string_agg(c.relname, ', ' ORDER BY c.relname), '') AS "Value"
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema()
          AND CASE c.relkind
                WHEN 'S' THEN NOT has_sequence_privilege(c.oid, 'USAGE')
                WHEN 'r' THEN NOT (has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'INSERT')
                                   AND has_table_privilege(c.oid, 'UPDATE') AND has_table_privilege(c.oid, 'DELETE'))
                WHEN 'p' THEN NOT (has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'INSERT')
                                   AND has_table_privilege(c.oid, 'UPDATE') AND has_table_privilege(c.oid, 'DELETE'))
                ELSE false
              END
        """;

    /// <summary>A sentence naming the tables the role lacks a right on, or null when it has them all.</summary>
    public static async Task<string?> MissingAsync(ProvisioningDbContext db, CancellationToken cancellationToken)
    {
        var tables = await db.Database.SqlQueryRaw<string>(MissingSql).SingleAsync(cancellationToken);
        return tables.Length == 0
            ? null
            : $"The database role of ConnectionStrings:Provisioning lacks a right it needs on {tables} (SELECT, INSERT, UPDATE " +
              "and DELETE on tables, USAGE on sequences): grant them, or connect as the role that owns the tables " +
              "(docs/operations.md, \"The database role\").";
    }
}
