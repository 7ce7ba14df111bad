using Microsoft.Extensions.Configuration;

namespace Provisioning.Infrastructure;

/// <summary>
/// A setting that takes a list (<c>Provisioning:TrustedProxies</c>, <c>Provisioning:Secrets:PreviousMasterKeys</c>): its
/// entries indexed (<c>…__0</c>, <c>…__1</c>) and one given without an index (<c>…=10.0.0.5</c>), which was read as none;
/// empty ones skipped. The one place such a setting is read.
/// </summary>
public static class ListSetting
{
    public static IEnumerable<IConfigurationSection> Entries(IConfiguration configuration, string setting)
    {
        var section = configuration.GetSection(setting);
        return section.GetChildren().Prepend(section).Where(entry => !string.IsNullOrWhiteSpace(entry.Value));
    }
}
