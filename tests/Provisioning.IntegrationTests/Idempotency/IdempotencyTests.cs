using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Idempotency;

/// <summary>Idempotency-Key with Stripe's semantics (API.md §10), through HTTP, checked in the database.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class IdempotencyTests(ServiceFixture service)
{
    private static HttpRequestMessage Request(HttpMethod method, string path, string? key, string? json = null, string? onBehalfOf = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        if (onBehalfOf is not null)
        {
            request.Headers.Add("On-Behalf-Of", onBehalfOf);
        }

        return request;
    }

    private static async Task<(HttpStatusCode Status, byte[] Body, HttpResponseMessage Response)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(), response);
    }

    private static bool Replayed(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Single() == "true";

    private Task<int> AppsNamedAsync(string tenantId, string name) =>
        service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == new TenantId(tenantId) && a.DisplayName == name));

    [Fact]
    public async Task ARetryOnBehalfOfATenantDeletedSince_ReplaysItsAnswer_InsteadOfTheRefusalOfANewRequest()
    {
        // A client acting in a child (On-Behalf-Of) lost its answers and retries after the child is gone (deleted by the
        // very request it retries, or by another): it must get the answer of the request that ran (API.md §10), not the
        // 404 that a new request acting there meets. It got that 404, and a client told its delete failed.
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var child = await client.ProvisionAsync(name: "Goes away");
        const string body = """{"displayName":"Made in the child"}""";
        var created = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "in-the-child", body, child.Id));
        var deleted = await SendAsync(client, Request(HttpMethod.Delete, $"/v2/tenants/{child.Id}", "delete-the-child", onBehalfOf: child.Id));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(HttpStatusCode.OK, deleted.Status);

        var createdAgain = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "in-the-child", body, child.Id));
        var deletedAgain = await SendAsync(client, Request(HttpMethod.Delete, $"/v2/tenants/{child.Id}", "delete-the-child", onBehalfOf: child.Id));

        Assert.Equal(HttpStatusCode.Created, createdAgain.Status);
        Assert.True(Replayed(createdAgain.Response));
        Assert.Equal(created.Body, createdAgain.Body);
        Assert.Equal(created.Response.Headers.Location, createdAgain.Response.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, deletedAgain.Status);
        Assert.True(Replayed(deletedAgain.Response));
        Assert.Equal(deleted.Body, deletedAgain.Body);

        // A request that did not run before is refused as ever (a new key); the key with another body is 422, as anywhere
        // (API.md §10: it was a 404 here).
        var fresh = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "a-new-key", body, child.Id));
        Assert.Equal(HttpStatusCode.NotFound, fresh.Status);
        Http.AssertV2Error(JsonNode.Parse(fresh.Body)!, "not_found");
        Assert.False(Replayed(fresh.Response));
        var other = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "in-the-child", """{"displayName":"Another"}""", child.Id));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.Status);
        Http.AssertV2Error(JsonNode.Parse(other.Body)!, "idempotency_key_reused");
    }

    [Fact]
    public async Task ARetryOfAnAnsweredRequest_WhileAnotherRetryHoldsTheKey_GetsTheAnswer_NotA409()
    {
        // Parallel retries of a request that had answered each hold the key for a moment while they are refused; one that
        // met another's hold was told 409 "still running" (1 to 3 in 30 in a probe).
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        const string body = """{"displayName":"Answered before"}""";
        var first = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "answered-key", body));
        Assert.Equal(HttpStatusCode.Created, first.Status);

        await using var held = await HeldRow.LockAsync(service.ConnectionString, "tenants", tenant.TenantId);
        await held.ExecuteAsync($"SELECT pg_advisory_xact_lock(hashtextextended('{tenant.KeyId}' || chr(31) || 'answered-key', {0x1d3e_7a11}))");
        var retry = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "answered-key", body));
        var other = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "answered-key", """{"displayName":"Another"}"""));
        await held.ReleaseAsync();

        Assert.Equal(HttpStatusCode.Created, retry.Status);
        Assert.True(Replayed(retry.Response));
        Assert.Equal(first.Body, retry.Body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.Status);
        Assert.Equal(1, await AppsNamedAsync(tenant.TenantId, "Answered before"));
    }

    [Fact]
    public async Task ASecondSendWithTheSameKey_ReplaysTheFirstAnswerByteForByte_AndCreatesNothing()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        const string body = """{"displayName":"Once only","metadata":{"plan":"gold"}}""";

        var first = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "create-once", body));
        var second = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "create-once", body));

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.False(Replayed(first.Response));
        Assert.Equal(HttpStatusCode.Created, second.Status);
        Assert.True(Replayed(second.Response));
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(first.Response.Headers.Location, second.Response.Headers.Location);
        Assert.Equal("application/json; charset=utf-8", second.Response.Content.Headers.ContentType?.ToString());
        Assert.Equal(1, await AppsNamedAsync(tenant.TenantId, "Once only"));
        var appId = (string)JsonNode.Parse(first.Body)!["app"]!["id"]!;
        Assert.Equal(1, await service.QueryDbAsync(db => db.AuditEvents.CountAsync(e => e.ResourceId == appId))); // one change, one event

        // Without a key, the same request is a new app: the header is what makes a retry safe.
        using var third = await client.SendAsync(Request(HttpMethod.Post, "/v2/apps", null, body));
        Assert.Equal(HttpStatusCode.Created, third.StatusCode);
        Assert.Equal(2, await AppsNamedAsync(tenant.TenantId, "Once only"));
    }

    [Fact]
    public async Task AUserOfALongNonAsciiEmail_AddedWithAKey_IsKeptAndReplayed_ThoughItsLocationPasses2048Characters()
    {
        using var root = service.Root();
        var child = await root.ProvisionAsync(name: "Long emails");
        // 254 code points, which an email may have (its domain 252 octets in DNS's form): escaped in Location, each accent
        // takes 6 characters and each ideograph 9.
        var email = new string('é', 25) + "@" + string.Concat(Enumerable.Repeat(new string('漢', 57) + ".", 3)) + new string('漢', 50) + ".com";
        var body = System.Text.Json.JsonSerializer.Serialize(new { email });

        var first = await SendAsync(root, Request(HttpMethod.Post, $"/v2/tenants/{child.Id}/users", "long-email", body));
        var second = await SendAsync(root, Request(HttpMethod.Post, $"/v2/tenants/{child.Id}/users", "long-email", body));

        Assert.True(HttpStatusCode.Created == first.Status, Encoding.UTF8.GetString(first.Body)); // was 500: the stored Location's column held 2048
        Assert.True(first.Response.Headers.Location!.OriginalString.Length > 2048);
        Assert.Equal(HttpStatusCode.Created, second.Status);
        Assert.True(Replayed(second.Response));
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(first.Response.Headers.Location, second.Response.Headers.Location);
        Assert.Equal(1, await service.QueryDbAsync(db => db.TenantUsers.CountAsync(u => u.TenantId == new TenantId(child.Id))));
    }

    [Fact]
    public async Task TheSameKeyWithADifferentRequest_Is422_AndRunsNothing()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var child = await service.Root().ProvisionAsync(name: "Obo target");
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "k1", """{"displayName":"A"}"""))).Status);

        var otherBody = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "k1", """{"displayName":"B"}"""));
        var otherPath = await SendAsync(client, Request(HttpMethod.Post, "/v2/serviceaccounts", "k1", """{"displayName":"A"}"""));
        Assert.Equal((HttpStatusCode)422, otherBody.Status);
        Http.AssertV2Error(JsonNode.Parse(otherBody.Body)!, "idempotency_key_reused");
        // The title lists what is compared, the query included (it left the query out; a probe).
        Assert.Contains("(method, path and query, On-Behalf-Of or body)", Http.Titles(JsonNode.Parse(otherBody.Body)!));
        Assert.Equal((HttpStatusCode)422, otherPath.Status);
        Assert.Equal(0, await AppsNamedAsync(tenant.TenantId, "B"));
        Assert.Equal(0, await service.QueryDbAsync(db => db.ServiceAccounts.CountAsync(s => s.TenantId == new TenantId(tenant.TenantId))));

        // On-Behalf-Of is part of the request.
        using var root = service.Root();
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(root, Request(HttpMethod.Post, "/v2/apps", "obo", """{"displayName":"C"}""", child.Id))).Status);
        Assert.Equal((HttpStatusCode)422, (await SendAsync(root, Request(HttpMethod.Post, "/v2/apps", "obo", """{"displayName":"C"}"""))).Status);

        // v1.1 answers in its own envelope.
        var v1 = await SendAsync(client, Request(HttpMethod.Post, "/v1.1/apps", "k1", """{"name":"A"}"""));
        Assert.Equal((HttpStatusCode)422, v1.Status);
        Http.AssertV1Error(JsonNode.Parse(v1.Body)!, "idempotency_key_reused");
    }

    [Fact]
    public async Task TwoPathsThatDecodeAlike_ButNameDifferentUsers_AreDifferentRequests()
    {
        // "a%2Fb@x.com" and "a/b@x.com" are two users; their DELETEs' paths are …/a%252Fb%40x.com and …/a%2Fb%40x.com,
        // which the server's decoded path (it keeps %2F escaped) shows alike. The second was replayed as the first's 200.
        using var root = service.Root();
        var child = await root.ProvisionAsync(new { emails = new[] { "a/b@x.com", "a%2Fb@x.com" } }, name: "Slashes");
        var first = await SendAsync(root, Request(HttpMethod.Delete, $"/v2/tenants/{child.Id}/users/a%2Fb%40x.com", "remove-one"));
        var second = await SendAsync(root, Request(HttpMethod.Delete, $"/v2/tenants/{child.Id}/users/a%252Fb%40x.com", "remove-one"));

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal((HttpStatusCode)422, second.Status);
        Http.AssertV2Error(JsonNode.Parse(second.Body)!, "idempotency_key_reused");
        var users = (await root.GetJsonAsync($"/v2/tenants/{child.Id}/users"))["users"]!.AsArray().Select(u => (string)u!["email"]!).ToArray();
        Assert.Equal(["a%2fb@x.com"], users);

        // Nor are '/' and %2F: …/apps/{app}%2Fkeys%2F{key} (404: no such app) and …/apps/{app}/keys/{key} (a review).
        var app = await root.CreateAppAsync("Slash");
        var key = await root.CreateAppKeyAsync(app);
        var escaped = await SendAsync(root, Request(HttpMethod.Delete, $"/v2/apps/{app}%2Fkeys%2F{key.Id}", "delete-key"));
        var plain = await SendAsync(root, Request(HttpMethod.Delete, $"/v2/apps/{app}/keys/{key.Id}", "delete-key"));
        Assert.Equal(HttpStatusCode.NotFound, escaped.Status);
        Assert.Equal((HttpStatusCode)422, plain.Status);
        Assert.Equal(HttpStatusCode.OK, (await root.GetAsync($"/v2/apps/{app}/keys/{key.Id}")).StatusCode);
    }

    [Fact]
    public async Task ReplaysReusedKeysAndRefusedClaims_AreNotLoggedAsFaults()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var appId = await client.CreateAppAsync("Quiet");
        var before = service.Factory.Logs.Lines.Count;

        // The claim is refused by the first statement of each transaction: with the budget's reservation just before a
        // create's save, in front of an EF query, in front of a service account's name check.
        foreach (var (method, path, body) in new[]
                 {
                     (HttpMethod.Post, "/v2/apps", """{"displayName":"Quiet 2"}"""),
                     (HttpMethod.Patch, $"/v2/apps/{appId}", """{"displayName":"Quiet 3"}"""),
                     (HttpMethod.Post, "/v2/serviceaccounts", """{"displayName":"Quiet SA"}"""),
                 })
        {
            var first = await SendAsync(client, Request(method, path, "quiet-" + path, body));
            var replay = await SendAsync(client, Request(method, path, "quiet-" + path, body));
            var reused = await SendAsync(client, Request(method, path, "quiet-" + path, body.Replace("Quiet", "Loud", StringComparison.Ordinal)));
            Assert.True(first.Status is HttpStatusCode.OK or HttpStatusCode.Created, $"{method} {path}: {first.Status}");
            Assert.Equal(first.Status, replay.Status);
            Assert.True(Replayed(replay.Response));
            Assert.Equal(first.Body, replay.Body);
            Assert.Equal((HttpStatusCode)422, reused.Status);
            Http.AssertV2Error(JsonNode.Parse(reused.Body)!, "idempotency_key_reused");
        }

        Assert.Equal(0, await AppsNamedAsync(tenant.TenantId, "Loud 2"));
        Assert.Equal("Quiet 3", await service.QueryDbAsync(db => db.Apps.Where(a => a.Id == new AppId(appId)).Select(a => a.DisplayName).SingleAsync()));
        var logged = service.Factory.Logs.Lines.Skip(before).ToList();
        Assert.DoesNotContain(logged, l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Warning", StringComparison.Ordinal));
        Assert.DoesNotContain(logged, l => l.Contains("PX200", StringComparison.Ordinal) || l.Contains("PX409", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KeysAreScopedToTheCredential()
    {
        var one = await service.NewTenantAsync();
        var two = await service.NewTenantAsync();
        using var clientOne = one.Client();
        using var clientTwo = two.Client();
        var a = await SendAsync(clientOne, Request(HttpMethod.Post, "/v2/apps", "shared", """{"displayName":"Mine"}"""));
        var b = await SendAsync(clientTwo, Request(HttpMethod.Post, "/v2/apps", "shared", """{"displayName":"Mine"}"""));
        Assert.Equal(HttpStatusCode.Created, a.Status);
        Assert.Equal(HttpStatusCode.Created, b.Status);
        Assert.False(Replayed(b.Response));
        Assert.NotEqual(a.Body, b.Body);
        Assert.Equal(1, await AppsNamedAsync(two.TenantId, "Mine"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("tab\tinside")]
    public async Task AKeyThatIsEmptyOrHoldsAControlCharacter_Is400NamingTheHeader(string key)
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var answer = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", key, """{"displayName":"Bad key"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Contains("Idempotency-Key", Encoding.UTF8.GetString(answer.Body));
        Assert.Equal(0, await AppsNamedAsync(tenant.TenantId, "Bad key"));
    }

    [Fact]
    public async Task AKeyOver255Characters_Is400_And255Works()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", new string('k', 256), """{"displayName":"L"}"""))).Status);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", new string('k', 255), """{"displayName":"L"}"""))).Status);
    }

    [Fact]
    public async Task FiftyParallelSendsWithOneKey_MakeExactlyOneApp_AndEveryAnswerIsItOr409()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var sends = Enumerable.Range(0, 50).Select(_ => Task.Run(async () =>
        {
            using var response = await client.SendAsync(Request(HttpMethod.Post, "/v2/apps", "race", """{"displayName":"Raced"}"""));
            var body = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, body, RetryAfter: response.Headers.RetryAfter?.Delta);
        }));
        var answers = await Task.WhenAll(sends);

        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"{a.StatusCode}: {a.body}"));
        var created = answers.Where(a => a.StatusCode == HttpStatusCode.Created).ToList();
        Assert.NotEmpty(created);
        Assert.Single(created.Select(a => (string?)JsonNode.Parse(a.body)!["app"]!["id"]).Distinct());
        Assert.All(answers.Where(a => a.StatusCode == HttpStatusCode.Conflict), a => Assert.NotNull(a.RetryAfter));
        Assert.Equal(1, await AppsNamedAsync(tenant.TenantId, "Raced"));
    }

    [Fact]
    public async Task AnErrorAnswerIsKept_TheRetryGetsItAgainEvenAfterTheCauseWentAway()
    {
        var tenant = await service.NewTenantAsync(maxApps: 0);
        using var client = tenant.Client();
        var first = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "over-budget", """{"displayName":"Too many"}"""));
        Assert.Equal(HttpStatusCode.PaymentRequired, first.Status);
        // Undone to the savepoint, raw SQL included: the budget counter did not move, and no event was written.
        Assert.Equal(0, await service.QueryDbAsync(db => db.Database
            .SqlQuery<int>($"SELECT subtree_apps AS \"Value\" FROM tenants WHERE id = {tenant.TenantId}").SingleAsync()));
        Assert.Equal(0, await service.QueryDbAsync(db => db.AuditEvents.CountAsync(e => e.TenantId == new TenantId(tenant.TenantId))));

        using var root = service.Root();
        await root.PatchJsonAsync($"/v2/tenants/{tenant.TenantId}", new { maxApps = 5 });
        var retry = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "over-budget", """{"displayName":"Too many"}"""));
        Assert.Equal(HttpStatusCode.PaymentRequired, retry.Status);
        Assert.True(Replayed(retry.Response));
        Assert.Equal(first.Body, retry.Body);
        Assert.Equal(0, await AppsNamedAsync(tenant.TenantId, "Too many"));

        // Another error under a key the 402 used: a different request, 422.
        var other = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "over-budget", """{"displayName":"Another"}"""));
        Assert.Equal((HttpStatusCode)422, other.Status);
        Http.AssertV2Error(JsonNode.Parse(other.Body)!, "idempotency_key_reused");
        Assert.Equal("application/json; charset=utf-8", other.Response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task ARequestRefusedAsSent_400_405_415_IsNotKept_TheSameKeyWithTheRequestCorrectedRuns()
    {
        // Stripe keeps no answer of a request whose parameters failed validation. Kept, a 415 came back to the same body
        // sent again with the right Content-Type (not part of the fingerprint), and a corrected body was 422 (a probe).
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();

        // A 400 from the model binder (no exception), then the same key with the body corrected.
        var bad = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "bad-json", """{"displayName":"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        var badAgain = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "bad-json", """{"displayName":"""));
        Assert.Equal(HttpStatusCode.BadRequest, badAgain.Status);
        Assert.False(Replayed(badAgain.Response));
        var corrected = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "bad-json", """{"displayName":"Corrected"}"""));
        Assert.Equal(HttpStatusCode.Created, corrected.Status);
        Assert.Equal(1, await AppsNamedAsync(tenant.TenantId, "Corrected"));

        // A 400 the validation throws (1001 users) and one the domain throws (a blank name).
        var tooMany = System.Text.Json.JsonSerializer.Serialize(new { name = "Too many users", key = "prv_x", emails = Enumerable.Range(0, 1001).Select(i => $"u{i}@example.com") });
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(client, Request(HttpMethod.Post, "/v2/tenants", "invalid", tooMany))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "invalid", """{"displayName":" "}"""))).Status);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "invalid", """{"displayName":"Valid"}"""))).Status);

        // 415: the same bytes, sent again as JSON, run.
        using (var notJson = Request(HttpMethod.Post, "/v2/apps", "as-text"))
        {
            notJson.Content = new StringContent("""{"displayName":"Was text"}""", Encoding.UTF8, "text/plain");
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await SendAsync(client, notJson)).Status);
        }

        var asJson = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "as-text", """{"displayName":"Was text"}"""));
        Assert.Equal(HttpStatusCode.Created, asJson.Status);
        Assert.False(Replayed(asJson.Response));

        // 405: a method the route does not have, then the right one.
        var wrongMethod = await SendAsync(client, Request(HttpMethod.Put, "/v2/apps", "method", """{"displayName":"Method"}"""));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.Status);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "method", """{"displayName":"Method"}"""))).Status);

        // Nothing of the refused requests stayed: each corrected one made one app, and the retries of those replay.
        Assert.Equal(1, await AppsNamedAsync(tenant.TenantId, "Was text"));
        var replay = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "bad-json", """{"displayName":"Corrected"}"""));
        Assert.True(Replayed(replay.Response));
        Assert.Equal(corrected.Body, replay.Body);

        // A key that has answered is still that answer's: a request refused as sent under it (before any statement
        // reached the database: the claim could not say) is 422 when it is another request, as before.
        foreach (var refusedUnderUsedKey in new[] { """{"displayName":" "}""", """{"displayName":""" })
        {
            var reused = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "bad-json", refusedUnderUsedKey));
            Assert.Equal((HttpStatusCode)422, reused.Status);
            Http.AssertV2Error(JsonNode.Parse(reused.Body)!, "idempotency_key_reused");
        }

        // While a request holds the key uncommitted, a refused one under it is 409 as any request then (the holder may be
        // its original, and answer it), not a final 400; once the holder is gone, the refusal.
        await using (var held = await HeldRow.LockAsync(service.ConnectionString, "tenants", tenant.TenantId))
        {
            await held.ExecuteAsync($"SELECT pg_advisory_xact_lock(hashtextextended('{tenant.KeyId}' || chr(31) || 'held-key', {0x1d3e_7a11}))");
            var whileHeld = await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "held-key", """{"displayName":" "}"""));
            Assert.Equal(HttpStatusCode.Conflict, whileHeld.Status);
            Assert.Equal(TimeSpan.FromSeconds(1), whileHeld.Response.Headers.RetryAfter?.Delta);
            await held.ReleaseAsync();
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(client, Request(HttpMethod.Post, "/v2/apps", "held-key", """{"displayName":" "}"""))).Status);

        // A 400 found after statements reached the database (the 11th key of a service account: counted under a lock)
        // leaves no stored answer either, and is decided again on the retry: after a key went, the same request runs.
        var sa = (string)(await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = "Ten keys" }, HttpStatusCode.Created))["serviceAccount"]!["id"]!;
        var keys = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            keys.Add((string)(await client.PostJsonAsync($"/v2/serviceaccounts/{sa}/keys", new { displayName = $"k{i}" }, HttpStatusCode.Created))["key"]!["id"]!);
        }

        var eleventh = await SendAsync(client, Request(HttpMethod.Post, $"/v2/serviceaccounts/{sa}/keys", "eleventh", """{"displayName":"k10"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, eleventh.Status);
        Assert.Equal(0, await service.QueryDbAsync(db => db.Database
            .SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM idempotency_records WHERE key = 'eleventh'").SingleAsync()));
        await client.DeleteAsync($"/v2/serviceaccounts/{sa}/keys/{keys[0]}");
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(client, Request(HttpMethod.Post, $"/v2/serviceaccounts/{sa}/keys", "eleventh", """{"displayName":"k10"}"""))).Status);
    }

    [Fact]
    public async Task TheRetryOfAnAnsweredRequest_ThatWouldNowBeRefusedAsSent_GetsItsAnswer()
    {
        // A key made to expire in an hour, its answer lost; the retry comes after that hour. Checked before any statement
        // is sent, expiresAt is in the past now: the retry was a 400 and the client took the key for not made (a review).
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var database = await service.Postgres.CreateMigratedDatabaseAsync("idem_expiry_" + Guid.NewGuid().ToString("N")[..8]);
        await using var factory = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(), clock);
        using var root = await factory.CreateRootClientAsync();
        var body = System.Text.Json.JsonSerializer.Serialize(new { displayName = "expiring", expiresAt = clock.GetUtcNow().AddHours(1) });

        var first = await SendAsync(root, Request(HttpMethod.Post, "/v2/keys", "expiring-key", body));
        Assert.Equal(HttpStatusCode.Created, first.Status);
        clock.Advance(TimeSpan.FromHours(2));
        var retry = await SendAsync(root, Request(HttpMethod.Post, "/v2/keys", "expiring-key", body));
        Assert.Equal(HttpStatusCode.Created, retry.Status);
        Assert.True(Replayed(retry.Response));
        Assert.Equal(first.Body, retry.Body);

        // A new request with that body is refused, as it should be.
        var fresh = await SendAsync(root, Request(HttpMethod.Post, "/v2/keys", "another-key", body));
        Assert.Equal(HttpStatusCode.BadRequest, fresh.Status);
    }

    [Fact]
    public async Task AnAnswerFromAFailedAuthentication_IsNotKept()
    {
        var tenant = await service.NewTenantAsync();
        using var wrong = service.WithBasic(tenant.KeyId, "not-the-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(wrong, Request(HttpMethod.Post, "/v2/apps", "after-401", """{"displayName":"Later"}"""))).Status);
        using var right = tenant.Client();
        var answer = await SendAsync(right, Request(HttpMethod.Post, "/v2/apps", "after-401", """{"displayName":"Later"}"""));
        Assert.Equal(HttpStatusCode.Created, answer.Status);
        Assert.False(Replayed(answer.Response));
    }

    [Fact]
    public async Task A403TenantSuspended_IsNotKept_TheRetryAfterTheResumeRuns()
    {
        using var root = service.Root();
        var child = await root.ProvisionAsync(name: "Paused customer");
        using var asChild = service.Client(child);
        await root.PatchJsonAsync($"/v2/tenants/{child.Id}", new { status = "suspended" });
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(asChild, Request(HttpMethod.Post, "/v2/apps", "while-paused", """{"displayName":"After"}"""))).Status);
        await root.PatchJsonAsync($"/v2/tenants/{child.Id}", new { status = "active" });
        var retry = await SendAsync(asChild, Request(HttpMethod.Post, "/v2/apps", "while-paused", """{"displayName":"After"}"""));
        Assert.Equal(HttpStatusCode.Created, retry.Status);
        Assert.False(Replayed(retry.Response));
    }

    [Fact]
    public async Task ProvisioningReplaysTheSameTenantAndToken_StoredEncrypted()
    {
        using var root = service.Root();
        var provisioningKey = await root.CreateProvisioningKeyAsync();
        var body = $$"""{"name":"Retried tenant","key":"{{provisioningKey}}"}""";
        var first = await SendAsync(root, Request(HttpMethod.Post, "/v2/tenants", "provision-1", body));
        var second = await SendAsync(root, Request(HttpMethod.Post, "/v2/tenants", "provision-1", body));
        Assert.Equal(HttpStatusCode.OK, first.Status); // DailyStory answers 200
        Assert.True(Replayed(second.Response));
        Assert.Equal(first.Body, second.Body);
        var answer = JsonNode.Parse(first.Body)!;
        var token = (string)answer["token"]!;
        Assert.Equal(1, await service.QueryDbAsync(db => db.Tenants.CountAsync(t => t.Name == "Retried tenant")));

        // The stored answer holds the token only encrypted: neither the token nor its secret part is in the row.
        var stored = await service.QueryDbAsync(db => db.Database
            .SqlQuery<byte[]>($"SELECT protected_body AS \"Value\" FROM idempotency_records WHERE scope = {ServiceFixture.RootKeyId} AND key = 'provision-1'")
            .SingleAsync());
        Assert.DoesNotContain(token, Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
        Assert.DoesNotContain((string)answer["tenantuid"]!, Encoding.UTF8.GetString(stored), StringComparison.Ordinal);

        // The replayed token works.
        using var asChild = service.WithBearer(token);
        Assert.Equal(HttpStatusCode.OK, (await asChild.GetAsync("/v2/tenants/self")).StatusCode);
    }

    [Fact]
    public async Task KeyCreation_Deletes_Grants_AndV11_AreReplayedToo()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var appId = await client.CreateAppAsync("For keys");

        var key = await SendAsync(client, Request(HttpMethod.Post, $"/v2/apps/{appId}/keys", "key-1", """{"displayName":"K"}"""));
        var keyAgain = await SendAsync(client, Request(HttpMethod.Post, $"/v2/apps/{appId}/keys", "key-1", """{"displayName":"K"}"""));
        Assert.Equal(key.Body, keyAgain.Body);
        Assert.Equal(1, await service.QueryDbAsync(db => db.ApiKeys.CountAsync(k => k.AppId == new AppId(appId))));

        var sa = await client.CreateServiceAccountAsync();
        var grant = await SendAsync(client, Request(HttpMethod.Put, $"/v2/serviceaccounts/{sa.Id}/apps/{appId}", "grant-1"));
        var grantAgain = await SendAsync(client, Request(HttpMethod.Put, $"/v2/serviceaccounts/{sa.Id}/apps/{appId}", "grant-1"));
        Assert.True(grant.Status is HttpStatusCode.OK or HttpStatusCode.NoContent or HttpStatusCode.Created, grant.Status.ToString());
        Assert.True(Replayed(grantAgain.Response));

        var deleted = await SendAsync(client, Request(HttpMethod.Delete, $"/v2/apps/{appId}", "delete-1"));
        var deletedAgain = await SendAsync(client, Request(HttpMethod.Delete, $"/v2/apps/{appId}", "delete-1"));
        Assert.Equal(HttpStatusCode.OK, deleted.Status);
        Assert.Equal(HttpStatusCode.OK, deletedAgain.Status); // not 404: the first answer, again
        Assert.True(Replayed(deletedAgain.Response));
        using var deletedWithoutKey = await client.DeleteAsync($"/v2/apps/{appId}");
        Assert.Equal(HttpStatusCode.NotFound, deletedWithoutKey.StatusCode);

        var v1 = await SendAsync(client, Request(HttpMethod.Post, "/v1.1/apps", "v1-create", """{"name":"Old client"}"""));
        var v1Again = await SendAsync(client, Request(HttpMethod.Post, "/v1.1/apps", "v1-create", """{"name":"Old client"}"""));
        Assert.Equal(HttpStatusCode.Created, v1.Status);
        Assert.Equal(v1.Body, v1Again.Body);
        Assert.Equal(1, await AppsNamedAsync(tenant.TenantId, "Old client"));
    }
}
