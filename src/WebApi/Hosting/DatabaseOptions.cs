namespace Provisioning.WebApi.Hosting;

/// <summary>Configuration section <c>Provisioning:Database</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Provisioning:Database";

    /// <summary>Apply pending migrations at start-up (default true).</summary>
    public bool MigrateOnStartup { get; set; } = true;
}
