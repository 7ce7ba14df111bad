using Provisioning.Infrastructure.Security;
using Provisioning.WebApi.Hosting;

namespace Provisioning.UnitTests.WebApi;

public sealed class StartupChecksTests
{
    [Fact]
    public void ASecretUnderAKeyNotGiven_IsSaidAsSuch_EvenWrapped_NotAsAnUnreachableDatabase()
    {
        // Counted in as an outage for requests (503), it must not read "PostgreSQL cannot be reached" at a start (a review).
        const string missing = "No configured master key decrypts this secret, which names the master key of fingerprint 5d417a9d.";
        foreach (var thrown in new Exception[] { new MasterKeyMissingException(missing), new InvalidOperationException("wrapped", new MasterKeyMissingException(missing)) })
        {
            var said = Assert.Throws<StartupException>(() => StartupChecks.Run(() => throw thrown)).Message;
            Assert.StartsWith("A stored secret cannot be decrypted with Provisioning:Secrets:MasterKey", said, StringComparison.Ordinal);
            Assert.Contains("fingerprint 5d417a9d", said, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ADeadlockThatRunningAgainDidNotGetPast_IsSaidAsSuch_NotAsAnUnreachableDatabase()
    {
        // What EF's execution strategy throws over a migration PostgreSQL chose as a deadlock's victim, the fifth time.
        var thrown = new InvalidOperationException("An exception has been raised that is likely due to a transient failure.",
            new Npgsql.PostgresException("deadlock detected", "ERROR", "ERROR", "40P01"));
        var said = Assert.Throws<StartupException>(() => StartupChecks.Run(() => throw thrown)).Message;
        Assert.StartsWith("PostgreSQL rolled the work back as a conflict with another session (", said, StringComparison.Ordinal);
        Assert.Contains("40P01: deadlock detected. Other sessions lock the same tables", said, StringComparison.Ordinal);
    }
}
