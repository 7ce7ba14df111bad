using Provisioning.WebApi.Hosting.FrontDoor;
using Provisioning.WebApi.Hosting.Readiness;

namespace Provisioning.WebApi.Hosting;

/// <summary>
/// Settings under <c>Provisioning</c> that the service does not read. A misspelt one is otherwise ignored without a word:
/// <c>Provisioning__TrustedProxy__0</c> (for <c>TrustedProxies</c>) left every client behind the load balancer in one
/// rate-limit partition (a probe). Said at start as a Warning naming the setting, never its value.
/// </summary>
public static class UnknownSettings
{
    /// <summary>
    /// Every setting the service reads under <c>Provisioning</c> (a section's children count as it: arrays). Each name a
    /// message, comment or document gives is one of these (<c>SettingNamesTests</c>).
    /// </summary>
    internal static readonly string[] Known =
    [
        Infrastructure.Retention.RetentionOptions.AuditRetentionDaysSetting,
        BootstrapOptions.Section + ":" + nameof(BootstrapOptions.KeyId),
        BootstrapOptions.Section + ":" + nameof(BootstrapOptions.RootKeyFile),
        BootstrapOptions.Section + ":" + nameof(BootstrapOptions.Secret),
        BootstrapOptions.Section + ":" + nameof(BootstrapOptions.TenantName),
        Infrastructure.Credentials.CredentialLookupOptions.ConcurrentLookupsSetting,
        DatabaseOptions.Section + ":" + nameof(DatabaseOptions.MigrateOnStartup),
        Infrastructure.Retention.RetentionOptions.IdempotencyRetentionHoursSetting,
        Infrastructure.Security.JwtOptions.Section + ":" + nameof(Infrastructure.Security.JwtOptions.Lifetime),
        PublicUrls.BaseUrlSetting,
        RateLimitOptions.Section + ":" + nameof(RateLimitOptions.PermitsPerMinute),
        RateLimitOptions.Section + ":" + nameof(RateLimitOptions.ConcurrentRequestsPerCustomer),
        ReadinessOptions.Section + ":" + nameof(ReadinessOptions.ReuseMilliseconds),
        Infrastructure.Retention.RetentionOptions.IntervalMinutesSetting,
        Infrastructure.Security.SecretsOptions.Section + ":" + nameof(Infrastructure.Security.SecretsOptions.MasterKey),
        Infrastructure.Security.SecretsOptions.PreviousMasterKeysSetting,
        PublicUrls.TrustedProxiesSection,
        SettingsFolder.Setting,
    ];

    /// <summary>
    /// The settings under <c>Provisioning</c> that are none of <see cref="Known"/>, by name: with a value, or JSON's
    /// <c>null</c> or an empty object (a settings file's <c>"PermitsPerMinut": null</c> was passed over without a word). A
    /// section of known settings given empty (<c>"RateLimit": {}</c>, <c>Provisioning</c> itself) is not one; a value under
    /// its name is (<c>Provisioning__RateLimit=600</c>).
    /// </summary>
    public static IEnumerable<string> In(IConfiguration configuration) =>
        configuration.GetSection("Provisioning").AsEnumerable()
            .Where(setting => !configuration.GetSection(setting.Key).GetChildren().Any()) // a section, not a setting (some sources give it "")
            .Where(setting => !Known.Any(known => setting.Key.Equals(known, StringComparison.OrdinalIgnoreCase)
                                                  || setting.Key.StartsWith(known + ":", StringComparison.OrdinalIgnoreCase)
                                                  || (string.IsNullOrEmpty(setting.Value) && known.StartsWith(setting.Key + ":", StringComparison.OrdinalIgnoreCase))))
            .Select(setting => setting.Key)
            .Order(StringComparer.Ordinal);

    public static void Warn(IConfiguration configuration, ILogger logger)
    {
        foreach (var name in In(configuration))
        {
            if (Meant(name) is { } meant)
            {
                logger.LogWarning("{Setting} is not a setting of this service and is ignored: did you mean {Meant}? (README, \"Configuration\")", name, meant);
            }
            else
            {
                logger.LogWarning("{Setting} is not a setting of this service and is ignored: check its spelling (README, \"Configuration\")", name);
            }
        }
    }

    /// <summary>
    /// The known setting <paramref name="name"/> is a slip of, compared without a list's index
    /// (<c>Provisioning:TrustedProxy:0</c> is <c>Provisioning:TrustedProxies</c>), part by part: each the same or a slip of
    /// the known one's (<see cref="Domain.Common.Spelling.Edits"/>: <c>Secret:MasterKey</c> is <c>Secrets:MasterKey</c>, while
    /// <c>Bootstrap:KeyFile</c> is no <c>Bootstrap:KeyId</c>, which a comparison of the whole name, its shared prefix
    /// counting, said it was; a review); the closest when no other is as close, or null.
    /// </summary>
    public static string? Meant(string name)
    {
        var typed = name.Split(':').Reverse().SkipWhile(p => p.All(char.IsAsciiDigit)).Reverse().ToArray();
        return Domain.Common.Spelling.Closest(Known
            .Select(known => (Known: known, Parts: known.Split(':')))
            .Where(k => k.Parts.Length == typed.Length)
            .Select(k => (k.Known, k.Parts.Zip(typed, (known, part) => Domain.Common.Spelling.Edits(part, known))
                .Aggregate((int?)0, (sum, edits) => sum + edits))));
    }
}
