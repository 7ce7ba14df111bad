namespace Provisioning.Infrastructure.Credentials;

/// <summary>Configuration section <c>Provisioning:Credentials</c>.</summary>
public sealed class CredentialLookupOptions
{
    public const string Section = "Provisioning:Credentials";

    public const string ConcurrentLookupsSetting = Section + ":" + nameof(ConcurrentLookups);

    /// <summary>
    /// The most <see cref="ConcurrentLookups"/> may be: its two kinds of turns then hold Npgsql's default pool (100) whole.
    /// </summary>
    public const int MaxConcurrentLookups = 50;

    /// <summary>The most the default is: a third of the default pool for the two kinds of turns together.</summary>
    public const int MaxDefault = 16;

    /// <summary>
    /// How many credentials one instance reads from the database at once for each of <see cref="CredentialLookups"/>' two
    /// kinds of turns; default twice the processors the service sees, at least 4 and at most <see cref="MaxDefault"/>.
    /// </summary>
    public int ConcurrentLookups { get; set; } = Math.Clamp(2 * Environment.ProcessorCount, 4, MaxDefault);

    /// <summary><see cref="CredentialLookups"/>' kinds of turns (ids not known to be keys, and ids found to be), each <see cref="ConcurrentLookups"/> at once.</summary>
    public const int TurnKinds = 2;

    /// <summary>The pooled connections the lookups may hold at once.</summary>
    public int ConnectionsAtOnce => TurnKinds * ConcurrentLookups;
}
