using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Credentials;

/// <summary>
/// A write is judged by its credential's state when it runs, not only when its headers arrived: a request whose headers
/// passed authentication and whose body came after the key was deleted, disabled, expired or its tenant suspended minted
/// a new, never-expiring account key with the revoked one, up to a minute after the revocation had been answered (a probe;
/// a body may trickle in for minutes above the server's minimum data rate).
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class InFlightRevocationTests(ServiceFixture service)
{
    [Theory]
    [InlineData("delete", HttpStatusCode.Unauthorized, "unauthorized")]
    [InlineData("disable", HttpStatusCode.Unauthorized, "unauthorized")]
    [InlineData("expire", HttpStatusCode.Unauthorized, "unauthorized")]
    [InlineData("suspend", HttpStatusCode.Forbidden, "tenant_suspended")]
    public async Task AWriteWhoseBodyArrivesAfterItsKeyWasRevoked_IsRefused_AndWritesNothing(string revocation, HttpStatusCode status, string code)
    {
        var tenant = await service.NewTenantAsync();
        using var owner = tenant.Client();
        var expiresAt = revocation == "expire" ? DateTimeOffset.UtcNow.AddSeconds(2) : (DateTimeOffset?)null;
        var key = (await owner.PostJsonAsync("/v2/keys", new { displayName = "stolen", expiresAt }, HttpStatusCode.Created))["key"]!;
        var keyId = (string)key["id"]!;
        using var thief = service.WithBasic(keyId, (string)key["secret"]!);
        Assert.Equal(HttpStatusCode.OK, (await thief.GetAsync("/v2/keys")).StatusCode); // it works, and is cached

        // The headers now (authenticated while the key works), the body once the key has been revoked and that answered.
        var revoked = new TaskCompletionSource();
        var late = thief.PostAsync("/v2/keys", new GatedJson("""{"displayName":"minted late"}""", revoked.Task));
        await Task.Delay(500); // (for the headers to be read; were they not, the request is refused all the same)
        switch (revocation)
        {
            case "delete":
                await owner.DeleteJsonAsync($"/v2/keys/{keyId}");
                break;
            case "disable":
                await owner.PatchJsonAsync($"/v2/keys/{keyId}", new { disabled = true });
                break;
            case "expire":
                await Task.Delay(expiresAt!.Value - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200));
                break;
            case "suspend":
                using (var root = service.Root())
                {
                    await root.PatchJsonAsync($"/v2/tenants/{tenant.TenantId}", new { status = "suspended" });
                }

                break;
        }

        Assert.NotEqual(HttpStatusCode.OK, (await thief.GetAsync("/v2/keys")).StatusCode);
        revoked.SetResult();

        using var answer = await late;
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == status, $"{(int)answer.StatusCode}: {body}");
        Assert.Contains($"\"{code}\"", body);
        var tenantId = new Domain.Common.TenantId(tenant.TenantId);
        Assert.Empty(await service.QueryDbAsync(db => db.ApiKeys.Where(k => k.TenantId == tenantId && k.DisplayName == "minted late").ToListAsync()));
        Assert.Empty(await service.QueryDbAsync(db => db.AuditEvents.Where(e => e.TenantId == tenantId && e.ActorKeyId == keyId).ToListAsync()));
    }

    /// <summary>A JSON body whose first byte is sent at once and the rest when <paramref name="gate"/> completes.</summary>
    private sealed class GatedJson : HttpContent
    {
        private readonly byte[] _bytes;
        private readonly Task _gate;

        public GatedJson(string json, Task gate)
        {
            _bytes = Encoding.UTF8.GetBytes(json);
            _gate = gate;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(_bytes.AsMemory(0, 1));
            await stream.FlushAsync();
            await _gate;
            await stream.WriteAsync(_bytes.AsMemory(1));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _bytes.Length;
            return true;
        }
    }
}
