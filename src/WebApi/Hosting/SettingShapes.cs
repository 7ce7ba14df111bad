namespace Provisioning.WebApi.Hosting;

/// <summary>
/// A setting the service knows (<see cref="UnknownSettings.Known"/>) given in a shape it cannot take, refused at start by
/// name, never by value (a probe of every setting misconfigured): JSON's <c>null</c>, or an empty object, for a number, a
/// switch or a time span, which the configuration binder read as 0 or false — <c>"PermitsPerMinute": null</c> turned the
/// rate limit and the failed-attempt guard off, <c>"MigrateOnStartup": null</c> left the migrations undone — (for a text
/// setting, a name or a path, null is unset: an override file's way to take back a base file's value); and a list or an
/// object for a setting of one value (<c>Provisioning__Bootstrap__Secret__0</c>, <c>"TenantName": {…}</c>), which the binder
/// either ignored without a word or failed on with a stack trace. The lists (<see cref="Infrastructure.ListSetting"/>) take
/// either shape.
/// </summary>
public static class SettingShapes
{
    private static readonly string[] Lists = [FrontDoor.PublicUrls.TrustedProxiesSection, Infrastructure.Security.SecretsOptions.PreviousMasterKeysSetting];

    /// <summary>The settings of a number, a switch or a time span: what the binder reads null as is a value (0, false).</summary>
    private static readonly string[] NotNull =
    [
        FrontDoor.RateLimitOptions.Section + ":" + nameof(FrontDoor.RateLimitOptions.PermitsPerMinute),
        FrontDoor.RateLimitOptions.Section + ":" + nameof(FrontDoor.RateLimitOptions.ConcurrentRequestsPerCustomer),
        DatabaseOptions.Section + ":" + nameof(DatabaseOptions.MigrateOnStartup),
        Infrastructure.Security.JwtOptions.Section + ":" + nameof(Infrastructure.Security.JwtOptions.Lifetime),
        Infrastructure.Credentials.CredentialLookupOptions.ConcurrentLookupsSetting,
        Readiness.ReadinessOptions.Section + ":" + nameof(Readiness.ReadinessOptions.ReuseMilliseconds),
        Infrastructure.Retention.RetentionOptions.IdempotencyRetentionHoursSetting,
        Infrastructure.Retention.RetentionOptions.AuditRetentionDaysSetting,
        Infrastructure.Retention.RetentionOptions.IntervalMinutesSetting,
    ];

    /// <summary>
    /// Refuses two environment variables for one setting of the service's (<c>Provisioning__…</c>, <c>ConnectionStrings__…</c>,
    /// <c>Kestrel__…</c>) or of the web host's (<c>ASPNETCORE_…</c>: <c>ASPNETCORE_URLS</c> beside <c>aspnetcore_urls</c>)
    /// whose names differ only in case: Linux keeps both, the configuration one, chosen by the environment's order (a probe: a
    /// master key and a random one, either won). As the settings folder refuses two files for one setting.
    /// Other variables are not looked at (<c>http_proxy</c> beside <c>HTTP_PROXY</c> is common, and none of the service's).
    /// </summary>
    public static void CheckEnvironment(System.Collections.IDictionary environment)
    {
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in environment.Keys.OfType<string>().Order(StringComparer.Ordinal))
        {
            if (!IsTheServices(name) && !IsTheHosts(name))
            {
                continue;
            }

            var setting = name.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
            if (!seen.TryAdd(setting, name))
            {
                throw new StartupException($"The environment gives one setting twice, as {seen[setting]} and {name} (setting names are " +
                                           "compared without regard to case): keep one.");
            }
        }
    }

    /// <summary>
    /// Whether an environment variable is one the web host reads as a setting through its prefix (<c>ASPNETCORE_URLS</c>,
    /// <c>ASPNETCORE_ENVIRONMENT</c>): the prefix is matched without regard to case, so <c>aspnetcore_urls</c> is the same
    /// setting. Not <c>DOTNET_…</c>: most of those are the runtime's own (<c>DOTNET_gcServer</c>), which it reads by their
    /// exact names.
    /// </summary>
    private static bool IsTheHosts(string name) => name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether an environment variable is one of the service's own settings (<c>Provisioning__</c>, <c>ConnectionStrings__</c>, <c>Kestrel__</c>).</summary>
    internal static bool IsTheServices(string name) =>
        name.StartsWith("Provisioning__", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Kestrel__", StringComparison.OrdinalIgnoreCase);

    public static void Check(IConfiguration configuration)
    {
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (UnknownSettings.Known.FirstOrDefault(known => key.Equals(known, StringComparison.OrdinalIgnoreCase)) is not { } setting
                || Lists.Contains(setting))
            {
                continue;
            }

            // (A key with children is a section: its value is null then, whatever the source.)
            if (configuration.GetSection(key).GetChildren().FirstOrDefault() is { } child)
            {
                throw new StartupException($"{setting} takes one value, not a list or an object (it is given as {setting}:{child.Key}).");
            }

            if (value is null && NotNull.Contains(setting))
            {
                throw new StartupException($"{setting} is null (or an empty object) in a settings file: give it a value, or leave it out for its default.");
            }
        }
    }
}
