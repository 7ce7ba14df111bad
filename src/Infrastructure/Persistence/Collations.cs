using Microsoft.EntityFrameworkCore;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The collations columns name. The service runs with invariant globalization, which cannot normalise Unicode, so a
/// comparison that must hold canonically equivalent text equal is PostgreSQL's, through a nondeterministic ICU collation:
/// equality and unique indexes on such a column treat "É" (U+00C9) and "E" followed by U+0301 as one string.
/// </summary>
internal static class Collations
{
    /// <summary>
    /// ICU's root locale at its default (tertiary) strength with normalization on (<c>kk</c>: without it ICU compares
    /// only text already in its "FCD" form correctly, so combining marks in another order, "q" with a dot below and a dot
    /// above, made a second name), nondeterministic: canonically equivalent strings are equal, and so are strings that
    /// differ only by characters ICU ignores (a zero-width space or joiner); case and width are not folded
    /// (<c>"a"</c> ≠ <c>"A"</c>, <c>"Ａ"</c> ≠ <c>"A"</c>). The migration that creates it
    /// (<c>20261203103424_CanonicalServiceAccountNames</c>) leaves columns on the database's default collation where
    /// PostgreSQL was built without ICU.
    /// </summary>
    public const string Canonical = "canonical";

    public static void Declare(ModelBuilder modelBuilder) =>
        modelBuilder.HasCollation(Canonical, locale: "und-u-kk-true", provider: "icu", deterministic: false);
}
