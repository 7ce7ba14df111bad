using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Infrastructure.Credentials;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>An instance's credential cache, as tests need to see it.</summary>
public static class CachedCredentials
{
    /// <summary>
    /// Waits (up to 30 s) until the instance trusts its credential cache: its revocation listener is connected and has heard
    /// its heartbeat lately. Until then it asks the database on every request.
    /// </summary>
    public static async Task UntilTrustedAsync(WebApplicationFactory<Program> instance)
    {
        var store = instance.Services.GetRequiredService<CachedCredentialStore>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!store.IsListening && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(store.IsListening, "the instance's revocation listener did not connect");
    }
}
