using System.Net;
using System.Net.Sockets;
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
    [InlineData("delete", HttpStatusCode.Unauthorized, "unauthorized", true)] // a JWT signed with the key: challenged as JWTs are
    public async Task AWriteWhoseBodyArrivesAfterItsKeyWasRevoked_IsRefused_AndWritesNothing(string revocation, HttpStatusCode status, string code, bool viaJwt = false)
    {
        var tenant = await service.NewTenantAsync();
        using var owner = tenant.Client();
        var expiresAt = revocation == "expire" ? DateTimeOffset.UtcNow.AddSeconds(3) : (DateTimeOffset?)null; // (the body must follow within the server's 5 s grace)
        var key = (await owner.PostJsonAsync("/v2/keys", new { displayName = "stolen", expiresAt }, HttpStatusCode.Created))["key"]!;
        var keyId = (string)key["id"]!;
        using var thief = viaJwt ? service.WithBearer(Jwt.ForKey(keyId, (string)key["secret"]!)) : service.WithBasic(keyId, (string)key["secret"]!);
        Assert.Equal(HttpStatusCode.OK, (await thief.GetAsync("/v2/keys")).StatusCode); // it works, and is cached

        // The headers now, with Expect: 100-continue: the server says "100 Continue" when the route starts to read the
        // body, so once it has, the request has passed authentication. The body follows once the revocation has answered.
        using var connection = new TcpClient();
        await connection.ConnectAsync(service.BaseAddress.Host, service.BaseAddress.Port);
        var stream = connection.GetStream();
        var body = """{"displayName":"minted late"}"""u8.ToArray();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v2/keys HTTP/1.1\r\nHost: x\r\nAuthorization: {thief.DefaultRequestHeaders.Authorization}\r\n" +
            $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal("HTTP/1.1 100 Continue\r\n\r\n", await ReadAsync(stream, "\r\n\r\n", timeout.Token));

        switch (revocation)
        {
            case "delete":
                await owner.DeleteJsonAsync($"/v2/keys/{keyId}");
                break;
            case "disable":
                await owner.PatchJsonAsync($"/v2/keys/{keyId}", new { disabled = true });
                break;
            case "expire":
                await Task.Delay(TimeSpan.FromTicks(Math.Max(0, (expiresAt!.Value - DateTimeOffset.UtcNow).Ticks)) + TimeSpan.FromMilliseconds(100));
                break;
            case "suspend":
                using (var root = service.Root())
                {
                    await root.PatchJsonAsync($"/v2/tenants/{tenant.TenantId}", new { status = "suspended" });
                }

                break;
        }

        Assert.Equal(status, (await thief.GetAsync("/v2/keys")).StatusCode); // a fresh request is refused
        await stream.WriteAsync(body);

        var answer = await ReadAsync(stream, null, timeout.Token);
        Assert.True(answer.StartsWith($"HTTP/1.1 {(int)status} ", StringComparison.Ordinal), answer);
        Assert.Contains($"\"{code}\"", answer);
        if (status == HttpStatusCode.Unauthorized)
        {
            // errors.md: "WWW-Authenticate: Basic realm="Provisioning", Bearer, or Bearer for a refused JWT".
            Assert.Contains(viaJwt ? "WWW-Authenticate: Bearer\r\n" : "WWW-Authenticate: Basic realm=\"Provisioning\", Bearer\r\n", answer);
        }

        var tenantId = new Domain.Common.TenantId(tenant.TenantId);
        Assert.Empty(await service.QueryDbAsync(db => db.ApiKeys.Where(k => k.TenantId == tenantId && k.DisplayName == "minted late").ToListAsync()));
        Assert.Empty(await service.QueryDbAsync(db => db.AuditEvents.Where(e => e.TenantId == tenantId && e.ActorKeyId == keyId).ToListAsync()));
    }

    /// <summary>What the server sends, up to and including <paramref name="end"/> (or until it closes the connection).</summary>
    private static async Task<string> ReadAsync(Stream stream, string? end, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one, cancellationToken) == 1)
        {
            text.Append((char)one[0]);
            if (end is not null && text.Length >= end.Length && text.ToString(text.Length - end.Length, end.Length) == end)
            {
                break;
            }
        }

        return text.ToString();
    }
}
