namespace Provisioning.Domain.Common;

/// <summary>
/// The one known word a misspelt one was meant to be, for a "did you mean" in a refusal or a warning: a setting's name
/// under <c>Provisioning</c> (<c>TrustedProxy</c> for <c>TrustedProxies</c>), a connection string's keyword (<c>Hots</c>).
/// </summary>
public static class Spelling
{
    /// <summary>
    /// The word of <paramref name="known"/> closest to <paramref name="typed"/> that it is a slip of (<see cref="Edits"/>),
    /// when no other is as close; else null. Never a word the same as <paramref name="typed"/> once compared (that is no
    /// misspelling).
    /// </summary>
    public static string? Nearest(string typed, IEnumerable<string> known) =>
        Closest(known.Select(candidate => (candidate, Edits(typed, candidate))));

    /// <summary>
    /// Of <paramref name="candidates"/> a typed word is a slip of (edits above 0; null: no slip), the one fewest edits away,
    /// when no other word is as close (candidates the same once compared count as one); else null.
    /// </summary>
    public static string? Closest(IEnumerable<(string Candidate, int? Edits)> candidates)
    {
        var near = candidates.Where(c => c.Edits > 0).ToList();
        if (near.Count == 0)
        {
            return null;
        }

        var closest = near.Min(c => c.Edits);
        var at = near.Where(c => c.Edits == closest).ToList();
        return at.Select(c => Folded(c.Candidate)).Distinct().Count() == 1 ? at[0].Candidate : null;
    }

    /// <summary>
    /// How many edits make <paramref name="typed"/> <paramref name="known"/>, compared without case, spaces, '_' or '-': 0
    /// for the same word; the count when it is close enough to be a slip (an edit for every four letters of the shorter, at
    /// least one; a swap of two neighbours is one edit); else null.
    /// </summary>
    public static int? Edits(string typed, string known)
    {
        var (word, other) = (Folded(typed), Folded(known));
        if (word == other)
        {
            return 0;
        }

        var distance = Distance(word, other);
        return other.Length > 0 && distance <= Math.Max(1, Math.Min(word.Length, other.Length) / 4) ? distance : null;
    }

    private static string Folded(string value) =>
        string.Concat(value.Where(c => c is not (' ' or '_' or '-'))).ToLowerInvariant();

    /// <summary>Edits between two words: a letter added, removed or changed, or two neighbours swapped (optimal string alignment).</summary>
    private static int Distance(string a, string b)
    {
        var rows = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            rows[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            rows[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var d = Math.Min(Math.Min(rows[i - 1, j] + 1, rows[i, j - 1] + 1), rows[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d = Math.Min(d, rows[i - 2, j - 2] + 1);
                }

                rows[i, j] = d;
            }
        }

        return rows[a.Length, b.Length];
    }
}
