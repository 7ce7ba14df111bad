using System.Security.Cryptography;

namespace Provisioning.Infrastructure;

/// <summary>
/// This process among those sharing the database (one per service container: the tests run several in one process), named
/// by an id made as it starts, and whether it serves requests or runs an operator verb. Its PostgreSQL sessions carry the
/// id in their <c>application_name</c> — the pool's <see cref="ApplicationName"/> (unless the operator names them, see
/// <see cref="DependencyInjection.WithDefaults"/>), the revocation listener's <see cref="ListenerApplicationName"/> — so
/// that <c>pg_stat_activity</c>, PostgreSQL's log (<c>%a</c>) and the lock holders a <c>rotate-secrets</c> names say
/// which instance (or which verb) a session is; a serving instance's start logs the id, and a revocation not confirmed
/// names the instances by it.
/// </summary>
public sealed class ServiceInstance
{
    // Neither is a prefix of the other: the revocation barrier finds the listeners by theirs (ServiceInstanceTests).
    private const string SessionPrefix = "provisioning ";

    /// <summary>What every listener's <c>application_name</c> begins with, followed by its instance's id.</summary>
    public const string ListenerPrefix = "provisioning-revocations ";

    private string? _verb;
    private volatile bool _named;

    /// <summary>16 hex digits, random.</summary>
    public string Id { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>
    /// The operator verb this process runs (it then serves no requests and runs no listener), or null. Read, it is settled:
    /// the pool's connection string is chosen by it.
    /// </summary>
    public string? Verb
    {
        get
        {
            _named = true;
            return _verb;
        }
    }

    /// <summary>
    /// The <c>application_name</c> of this process's pooled sessions: <c>provisioning &lt;id&gt;</c>, or
    /// <c>provisioning &lt;verb&gt; &lt;id&gt;</c> for an operator verb's.
    /// </summary>
    public string ApplicationName
    {
        get
        {
            _named = true;
            return _verb is null ? SessionPrefix + Id : $"{SessionPrefix}{_verb} {Id}";
        }
    }

    /// <summary>The <c>application_name</c> of this instance's revocation listener, by which writers find it.</summary>
    public string ListenerApplicationName => ListenerPrefix + Id;

    /// <summary>
    /// The listener's <c>application_name</c> until its <c>LISTEN</c>s are in: named as a listener before, it was waited for
    /// by every revocation made in between, whose barrier it could not hear (2 s each; an upgrade probe saw one at each
    /// instance's start). Not begun with <see cref="ListenerPrefix"/>.
    /// </summary>
    public string ListenerConnectingApplicationName => "provisioning-revocations-connecting " + Id;

    /// <summary>
    /// Said by an operator verb's process (the service built, never started), before it touches the database: its sessions
    /// are named by the verb, and no revocation listener runs here.
    /// </summary>
    public void RunsVerb(string verb)
    {
        if (_named)
        {
            throw new InvalidOperationException("The sessions were named before the verb was said.");
        }

        _verb = verb;
    }
}
