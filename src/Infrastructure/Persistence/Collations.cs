using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The collations columns name. The service runs with invariant globalization, which cannot normalise Unicode, so a
/// comparison that must hold canonically equivalent text equal is PostgreSQL's, through a nondeterministic ICU collation:
/// equality and unique indexes on such a column treat "É" (U+00C9) and "E" followed by U+0301 as one string.
/// </summary>
public static class Collations
{
    /// <summary>
    /// ICU's root locale at secondary strength (<c>ks-level2</c>) with normalization on (<c>kk</c>), nondeterministic:
    /// strings are equal when they differ only in case, in the Unicode form of the same text (a composed "é" or "e" and a
    /// combining accent; combining marks in another order), in width or compatibility form ("Ａ" and "A", "ﬁ" and "fi"),
    /// or by characters ICU ignores (a zero-width space or joiner, a variation selector); accents count ("cafe" ≠
    /// "café"). Case is folded here too, not only by the domain's upper-casing before it: "ǰ" has no upper-case letter of
    /// its own, so the upper-cased keys of "ǰ" and of "j" with a combining caron differed in case alone (a probe). The
    /// upper-casing stays for a database without ICU (case-insensitive there still); its one cost here: a combining
    /// ypogegrammeni (U+0345) upper-cases to the letter iota, so "α" with it compares as "ΑΙ", not as "ᾳ". (Without
    /// <c>kk</c> ICU compares only text already in its "FCD" form correctly.)
    /// The migration that creates it (<c>20261203103424_CanonicalServiceAccountNames</c>) leaves columns on the database's
    /// default collation where PostgreSQL was built without ICU; <c>CanonicalCollationAsDeclared</c> remakes it where an
    /// early build created it otherwise. A change of this definition is such a migration too, never an edit of these.
    /// </summary>
    public const string Canonical = "canonical";

    /// <summary>The column's collation, or null when the column is not there (a database not migrated).</summary>
    private static readonly string NamesCollationSql = """
        SELECT c.collname AS "Value" FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
        WHERE a.attrelid = to_regclass('service_accounts') AND a.attname = 'normalized_name'
        """;

    /// <summary>
    /// At start, a Warning when the service-account names' comparison key is not under <see cref="Canonical"/>: the
    /// migration left it on the database's default collation (PostgreSQL built without ICU), so names are unique up to
    /// case only. Said once per start, not per request.
    /// </summary>
    public static async Task WarnIfNamesCompareByCaseOnlyAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        var collation = await db.Database.SqlQueryRaw<string>(NamesCollationSql).SingleOrDefaultAsync(cancellationToken);
        if (collation is not null && collation != Canonical)
        {
            scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Provisioning.Migrations").LogWarning(
                "Service-account names are compared up to case only (their column's collation is {Collation}, not {Canonical}): " +
                "this PostgreSQL has no ICU, so a name in another Unicode form of the same text is a second account " +
                "(docs/operations.md, \"Running\")", collation, Canonical);
        }
    }

    public static void Declare(ModelBuilder modelBuilder) =>
        modelBuilder.HasCollation(Canonical, locale: "und-u-ks-level2-kk-true", provider: "icu", deterministic: false);
}
