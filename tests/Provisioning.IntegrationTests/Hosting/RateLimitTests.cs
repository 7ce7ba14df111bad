using System.Net;
using Microsoft.EntityFrameworkCore;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

[Collection(ServiceTestCollection.Name)]
public sealed class RateLimitTests(ServiceFixture service)
{
    [Fact]
    public async Task PastTheLimit_ACredentialGets429WithRetryAfter_AndOtherCredentialsAreUnaffected()
    {
        var noisy = await service.NewTenantAsync();
        var quiet = await service.NewTenantAsync();
        await using var factory = new ConfiguredServiceFactory(service.ConnectionString, new() { ["Provisioning:RateLimit:PermitsPerMinute"] = "3" });
        using var noisyClient = factory.CreateClient();
        noisyClient.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(noisy.KeyId, noisy.Secret);
        using var quietClient = factory.CreateClient();
        quietClient.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(quiet.KeyId, quiet.Secret);

        for (var i = 0; i < 3; i++)
        {
            await noisyClient.GetJsonAsync("/v2/apps");
        }

        using var refused = await noisyClient.GetAsync("/v2/apps");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Http.AssertV2Error(System.Text.Json.Nodes.JsonNode.Parse(await refused.Content.ReadAsStringAsync())!, "too_many_requests");

        await quietClient.GetJsonAsync("/v2/apps");
        Assert.Equal(HttpStatusCode.OK, (await noisyClient.GetAsync("/healthz")).StatusCode);

        // A refused create with an Idempotency-Key stores nothing: once the window passes, a retry runs afresh.
        var key = "rate-" + Guid.NewGuid().ToString("N");
        using var keyed = new HttpRequestMessage(HttpMethod.Post, "/v2/apps") { Content = Http.Json(new { displayName = "limited" }) };
        keyed.Headers.Add("Idempotency-Key", key);
        using var limited = await noisyClient.SendAsync(keyed);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.False(await service.QueryDbAsync(db => db.IdempotencyRecords.AnyAsync(r => r.Key == key)));
        Assert.False(await service.QueryDbAsync(db => db.Apps.AnyAsync(a => a.TenantId == new Domain.Common.TenantId(noisy.TenantId))));
    }
}
