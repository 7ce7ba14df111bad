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
}
