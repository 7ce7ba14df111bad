using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Security;

/// <summary>A secret never reaches a log line, an error body, or the database in plaintext.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class SecretHygieneTests(ServiceFixture service)
{
    [Fact]
    public async Task Secrets_NeverAppearInLogsOrErrorBodies_EvenForFailedRequests()
    {
        var tenant = await service.NewTenantAsync();
        var wrongSecret = tenant.Secret + "-wrong-" + Guid.NewGuid().ToString("N");

        // Good and bad requests of every authentication kind, at every log level.
        await tenant.Client().PostJsonAsync("/v2/apps", new { displayName = "Logged" }, HttpStatusCode.Created);
        var bodies = new List<string>();
        foreach (var client in new[]
        {
            service.WithBasic(tenant.KeyId, wrongSecret),
            service.WithBearer(Jwt.ForKey(tenant.KeyId, wrongSecret)),
            service.WithBearer(Jwt.ForKey(tenant.KeyId, tenant.Secret, scope: "app")),
            service.WithBearer($"{tenant.KeyId}.{wrongSecret}"),
        })
        {
            using var response = await client.PostAsync("/v2/apps", Http.Json(new { displayName = "Nope" }));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            bodies.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.NotEmpty(service.Factory.Logs.Lines);
        foreach (var secret in new[] { tenant.Secret, wrongSecret, ServiceFixture.RootSecret })
        {
            Assert.DoesNotContain(service.Factory.Logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(bodies, body => body.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Secrets_NeverAppearInLogs_WithEveryCategoryAtTrace()
    {
        // An operator chasing a problem turns everything up: at Trace, MVC printed the action's arguments, and with them
        // a provisioning request's key ("ProvisionTenantRequest { Name = …, Key = <secret>, … }") (a probe).
        var database = await service.Postgres.CreateDatabaseAsync("trace_" + Guid.NewGuid().ToString("N")[..8]);
        var logs = new CollectingLoggerProvider();
        var settings = ServiceFixture.RootKeySettings(rateLimited: false);
        foreach (var category in new[] { "Default", "Microsoft", "Microsoft.AspNetCore", "Microsoft.EntityFrameworkCore", "Microsoft.EntityFrameworkCore.Database.Command", "Npgsql" })
        {
            settings[$"Logging:LogLevel:{category}"] = "Trace";
        }

        await using var instance = new ConfiguredServiceFactory(database, settings, services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var root = await instance.CreateRootClientAsync();
        var provisioningKey = (string)(await root.PostJsonAsync("/v2/provisioningkeys", new { displayName = "p" }, HttpStatusCode.Created))["provisioningKey"]!["secret"]!;
        var child = await root.PostJsonAsync("/v2/tenants", new { name = "Traced", key = provisioningKey, logo_url = "https://cdn.example.com/l.png" }, HttpStatusCode.OK);
        var token = (string)child["token"]!;
        var accountKey = (string)(await root.PostJsonAsync("/v2/keys", new { displayName = "k" }, HttpStatusCode.Created))["key"]!["secret"]!;
        using var wrong = instance.CreateClient();
        wrong.DefaultRequestHeaders.Authorization = new("Bearer", token + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/v2/tenants/self")).StatusCode);
        await root.PostJsonAsync("/v2/tenants", new { name = "Refused", key = provisioningKey + "x" }, HttpStatusCode.Unauthorized);

        Assert.Contains(logs.Lines, line => line.StartsWith("Trace", StringComparison.Ordinal)); // Trace was on
        foreach (var secret in new[] { provisioningKey, token.Split('.')[1], accountKey, ServiceFixture.RootSecret })
        {
            Assert.DoesNotContain(logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task KeySecrets_AreEncryptedAtRest()
    {
        var tenant = await service.NewTenantAsync();
        var stored = await service.QueryDbAsync(db => db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == new Domain.Credentials.KeyId(tenant.KeyId)));
        var asText = System.Text.Encoding.UTF8.GetString(stored.ProtectedSecret.Span);
        Assert.DoesNotContain(tenant.Secret, asText);
        Assert.DoesNotContain(tenant.Secret, Convert.ToBase64String(stored.ProtectedSecret.Span));
    }

    [Fact]
    public void Telemetry_IsOffWithoutAnOtlpEndpoint() =>
        Assert.Null(service.Factory.Services.GetService(typeof(OpenTelemetry.Trace.TracerProvider)));
}
