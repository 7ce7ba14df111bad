using System.ComponentModel;
using System.Reflection;

namespace Provisioning.Domain.Audit;

/// <summary>Wire names and descriptions of <see cref="AuditEventType"/>.</summary>
public static class AuditEventTypes
{
    private static readonly Dictionary<AuditEventType, string> Names =
        Enum.GetValues<AuditEventType>().ToDictionary(t => t, MakeWireName);

    private static readonly Dictionary<string, AuditEventType> ByName = Names.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>Every type, in declaration order.</summary>
    public static IReadOnlyList<AuditEventType> All { get; } = Enum.GetValues<AuditEventType>();

    /// <summary><c>app.created</c> for <see cref="AuditEventType.AppCreated"/>.</summary>
    public static string WireName(this AuditEventType type) => Names[type];

    /// <summary>When an event of this type is written (its <see cref="DescriptionAttribute"/>).</summary>
    public static string Describe(this AuditEventType type) =>
        typeof(AuditEventType).GetField(type.ToString())!.GetCustomAttribute<DescriptionAttribute>()?.Description ?? string.Empty;

    public static bool TryParse(string? wireName, out AuditEventType type) => ByName.TryGetValue(wireName ?? string.Empty, out type);

    private static string MakeWireName(AuditEventType type)
    {
        var name = type.ToString();
        var verbStart = Enumerable.Range(1, name.Length - 1).Last(i => char.IsUpper(name[i]));
        return $"{char.ToLowerInvariant(name[0])}{name[1..verbStart]}.{char.ToLowerInvariant(name[verbStart])}{name[(verbStart + 1)..]}";
    }
}
