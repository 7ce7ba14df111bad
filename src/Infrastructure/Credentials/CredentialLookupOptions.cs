namespace Provisioning.Infrastructure.Credentials;

/// <summary>Configuration section <c>Provisioning:Credentials</c>.</summary>
public sealed class CredentialLookupOptions
{
    public const string Section = "Provisioning:Credentials";

    public const string ConcurrentLookupsSetting = Section + ":" + nameof(ConcurrentLookups);

    /// <summary>The most <see cref="ConcurrentLookups"/> may be: a pool's worth (Npgsql's default Max Pool Size).</summary>
    public const int MaxConcurrentLookups = 100;

    /// <summary>
    /// How many credentials one instance reads from the database at once (<see cref="CredentialLookups"/>); default twice the
    /// processors the service sees, at least 4 and at most <see cref="MaxConcurrentLookups"/>.
    /// </summary>
    public int ConcurrentLookups { get; set; } = Math.Clamp(2 * Environment.ProcessorCount, 4, MaxConcurrentLookups);
}
