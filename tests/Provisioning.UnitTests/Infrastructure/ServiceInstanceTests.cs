using Provisioning.Infrastructure;

namespace Provisioning.UnitTests.Infrastructure;

public sealed class ServiceInstanceTests
{
    [Fact]
    public void ItsSessionsNames_DoNotBeginLikeAListenersName()
    {
        // The revocation barrier waits for every session whose name begins like a listener's: a pooled session named so would
        // be waited for as an instance that never confirms.
        var serving = new ServiceInstance();
        var verb = new ServiceInstance();
        verb.RunsVerb("delete-tenant");
        Assert.Equal($"provisioning {serving.Id}", serving.ApplicationName);
        Assert.Equal($"provisioning delete-tenant {verb.Id}", verb.ApplicationName);
        Assert.Equal($"provisioning-revocations {serving.Id}", serving.ListenerApplicationName);
        Assert.StartsWith(ServiceInstance.ListenerPrefix, serving.ListenerApplicationName);
        Assert.False(serving.ApplicationName.StartsWith(ServiceInstance.ListenerPrefix, StringComparison.Ordinal));
        Assert.False(verb.ApplicationName.StartsWith(ServiceInstance.ListenerPrefix, StringComparison.Ordinal));
        Assert.NotEqual(serving.Id, verb.Id);
    }

    [Fact]
    public void AVerbSaidAfterTheSessionsWereNamed_IsRefused()
    {
        // Its sessions would carry an instance's name: said too late is a defect of the verb's code, not a name to guess.
        var instance = new ServiceInstance();
        _ = instance.ApplicationName;
        Assert.Throws<InvalidOperationException>(() => instance.RunsVerb("migrate"));
    }
}
