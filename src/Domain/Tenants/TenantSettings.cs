using System.Collections.ObjectModel;
using Provisioning.Domain.Common;

namespace Provisioning.Domain.Tenants;

/// <summary>
/// Tenant settings: feature name → key → string value. A tenant stores only its own values; its
/// effective settings are its parent's effective settings with its own laid over them.
/// </summary>
public static class TenantSettings
{
    public const int MaxFeatures = 100;
    public const int MaxKeysPerFeature = 100;
    public const int MaxNameLength = 100;
    public const int MaxValueLength = 4096;

    /// <summary>
    /// A tenant's own settings in all, names and values, in UTF-8 bytes. The limits above alone allowed 41 MB (164 MB in
    /// emoji) of one tenant's own, which every read of it, of its descendants and of its parent's tenant list then carried
    /// (a probe: its parent's list 2.4 s, 2.3 GB of the service's memory for twelve reads).
    /// </summary>
    public const int MaxTotalBytes = 64 * 1024;

    /// <summary>No settings.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Empty { get; } = ReadOnly(NewFeatures());

    /// <summary>Lays each layer over the previous one, feature by feature, key by key. Layers run root first.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Effective(
        IEnumerable<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> layersRootFirst)
    {
        var result = NewFeatures();
        foreach (var layer in layersRootFirst)
        {
            foreach (var (feature, values) in layer)
            {
                if (!result.TryGetValue(feature, out var target))
                {
                    target = new Dictionary<string, string>(StringComparer.Ordinal);
                    result[feature] = target;
                }

                foreach (var (key, value) in values)
                {
                    target[key] = value;
                }
            }
        }

        return ReadOnly(result);
    }

    /// <summary>Applies a change: a null value removes that key from the tenant's own settings; a null feature removes the feature.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Apply(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> own,
        IReadOnlyDictionary<string, Dictionary<string, string?>?> change)
    {
        var result = NewFeatures();
        foreach (var (feature, values) in own)
        {
            result[feature] = new Dictionary<string, string>(values, StringComparer.Ordinal);
        }

        // Names are checked where a change adds them: one already stored (under an older rule) can still be changed and
        // removed, and removing what is not there is no change, whatever its name.
        foreach (var (feature, values) in change)
        {
            if (values is null)
            {
                result.Remove(feature);
                continue;
            }

            if (!result.TryGetValue(feature, out var target))
            {
                if (values.Values.Any(v => v is not null))
                {
                    CheckNewName(feature, "settings");
                }

                target = new Dictionary<string, string>(StringComparer.Ordinal);
                result[feature] = target;
            }

            foreach (var (key, value) in values)
            {
                if (value is not null && !target.ContainsKey(key))
                {
                    CheckNewName(key, $"settings.{feature}");
                }

                if (value is null)
                {
                    target.Remove(key);
                }
                else if (Text.IsLongerThan(value, MaxValueLength))
                {
                    throw new DomainRuleException($"settings.{feature}.{key}", $"settings.{feature}.{key} must be at most {MaxValueLength} characters.");
                }
                else
                {
                    Text.EnsureFreeText(value, $"settings.{feature}.{key}");
                    target[key] = value;
                }
            }

            if (target.Count == 0)
            {
                result.Remove(feature);
            }
            else if (target.Count > MaxKeysPerFeature)
            {
                throw new DomainRuleException($"settings.{feature}", $"settings.{feature} may hold at most {MaxKeysPerFeature} keys.");
            }
        }

        if (result.Count > MaxFeatures)
        {
            throw new DomainRuleException("settings", $"settings may hold at most {MaxFeatures} features.");
        }

        // A change that does not grow them is taken whatever their size (settings stored before this limit can shrink).
        var size = SizeOf(result);
        if (size > MaxTotalBytes && size > SizeOf(own))
        {
            throw new DomainRuleException(
                "settings", $"settings may hold at most {MaxTotalBytes} bytes in all (names and values, UTF-8); this change would make them {size}.");
        }

        return ReadOnly(result);
    }

    private static long SizeOf<TValues>(IEnumerable<KeyValuePair<string, TValues>> features)
        where TValues : IEnumerable<KeyValuePair<string, string>>
    {
        long size = 0;
        foreach (var (feature, values) in features)
        {
            size += System.Text.Encoding.UTF8.GetByteCount(feature);
            foreach (var (key, value) in values)
            {
                size += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value);
            }
        }

        return size;
    }

    /// <summary>Whether two sets of settings hold the same values (in any order).</summary>
    public static bool AreEqual(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> a, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> b) =>
        a.Count == b.Count && a.All(feature =>
            b.TryGetValue(feature.Key, out var other) && feature.Value.Count == other.Count
            && feature.Value.All(setting => other.TryGetValue(setting.Key, out var value) && value == setting.Value));

    /// <summary>
    /// A read-only view of settings built here (or read from the store), in the order they were built: features and keys
    /// keep their insertion order, so what is written back (JSON) does not change.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ReadOnly(
        IEnumerable<KeyValuePair<string, Dictionary<string, string>>> features)
    {
        var copy = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var (feature, values) in features)
        {
            copy[feature] = new ReadOnlyDictionary<string, string>(values);
        }

        return new ReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>(copy);
    }

    private static Dictionary<string, Dictionary<string, string>> NewFeatures() => new(StringComparer.Ordinal);

    /// <summary>
    /// A name a change adds: 1–100 characters, not blank, nothing a name may not hold (<see cref="Text.EnsureName"/>), no
    /// white space or invisible character at either end and no invisible one inside (a space is fine): " email" or
    /// "\u200Bemail" beside an inherited "email" looked the same and overrode nothing (a probe).
    /// </summary>
    private static void CheckNewName(string name, string field)
    {
        if (string.IsNullOrWhiteSpace(name) || Text.IsLongerThan(name, MaxNameLength))
        {
            throw new DomainRuleException(field, $"{field}: setting names must be 1-{MaxNameLength} characters, not only spaces.");
        }

        Text.EnsureName(name, field);
        System.Text.Rune.DecodeFromUtf16(name, out var first, out _);
        System.Text.Rune.DecodeLastFromUtf16(name, out var last, out _);
        if (Text.IsTrimmable(first) || Text.IsTrimmable(last))
        {
            throw new DomainRuleException(field, $"{field}: a setting name must not start or end with white space or an invisible character.");
        }

        foreach (var rune in name.EnumerateRunes())
        {
            if (rune.Value != ' ' && Text.IsInvisible(rune))
            {
                throw new DomainRuleException(field, $"{field}: a setting name must not hold an invisible character.");
            }
        }
    }
}
