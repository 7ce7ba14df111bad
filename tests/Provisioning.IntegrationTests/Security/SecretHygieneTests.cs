using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
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
        var logs = new CollectingLoggerProvider();
        await using var instance = await TracedInstanceAsync(logs);
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
    public async Task NeitherAHashOfASecret_NorOneSentInTheWrongPlace_AppearsInLogs_WithEveryCategoryAtTrace()
    {
        // A probe with every category at Trace: a JWT signed with anything but naming a real key id (key ids are not
        // secret) made JwtBearer log, at Information, "Keys tried: '…SymmetricSecurityKey, KeyId: …, InternalId: <the JWK
        // thumbprint>'" — an unsalted SHA-256 of the key's secret, which for a secret an operator chose (the bootstrap's)
        // is a dictionary check offline; a provisioning key sent unquoted ("key": n…) was echoed by MVC's JSON formatter at
        // Debug ("'n…' is an invalid JSON literal"); and a logo URL's password by MVC's Trace line of the action's arguments
        // (the URL refused with a 400, after).
        var logs = new CollectingLoggerProvider();
        await using var instance = await TracedInstanceAsync(logs);
        using var root = await instance.CreateRootClientAsync();
        var thumbprint = Base64UrlEncoder.Encode(
            new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(ServiceFixture.RootSecret)).ComputeJwkThumbprint());
        using (var forged = instance.CreateClient())
        {
            forged.DefaultRequestHeaders.Authorization = new("Bearer", Jwt.ForKey(ServiceFixture.RootKeyId, "not the secret of this key"));
            Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/v2/apps")).StatusCode);
        }

        var provisioningKey = (string)(await root.PostJsonAsync("/v2/provisioningkeys", new { displayName = "p" }, HttpStatusCode.Created))["provisioningKey"]!["secret"]!;
        using (var unquoted = new StringContent($"{{\"name\":\"Unquoted\",\"key\":n{provisioningKey}}}", System.Text.Encoding.UTF8, "application/json"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await root.PostAsync("/v2/tenants", unquoted)).StatusCode);
        }

        var password = "pw" + Guid.NewGuid().ToString("N");
        await root.PostJsonAsync("/v2/tenants", new { name = "Logo", key = provisioningKey, logo_url = $"https://u:{password}@cdn.example.com/l.png" }, HttpStatusCode.BadRequest);
        var child = (string)(await root.PostJsonAsync("/v2/tenants", new { name = "Child", key = provisioningKey }, HttpStatusCode.OK))["tenantuid"]!;
        await root.PatchJsonAsync($"/v2/tenants/{child}", new { logoUrl = $"https://u:{password}@cdn.example.com/l.png" }, HttpStatusCode.BadRequest);

        // The signature's failure and both actions' arguments are logged, without the secret; the JSON error is not (its
        // message quotes the body).
        Assert.Contains(logs.Lines, line => line.Contains("IDX10511", StringComparison.Ordinal) && line.Contains(ServiceFixture.RootKeyId, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.Contains("invalid JSON literal", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, line => line.Contains("ProvisionTenantRequest { Name = Logo,", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, line => line.Contains("UpdateTenantRequest { Name = , LogoUrl = (a URL with a user name", StringComparison.Ordinal));
        foreach (var secret in new[] { thumbprint, provisioningKey, provisioningKey[..12], password, ServiceFixture.RootSecret })
        {
            Assert.DoesNotContain(logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AHeaderLineKestrelRefuses_IsNotQuoted_WithEveryCategoryAtTrace()
    {
        // Kestrel's own refusal of a malformed header line (a space before the colon) quoted the line at Debug, credentials
        // and all, into the log and the OTLP export (a probe). Through a real socket: the in-memory server parses nothing.
        var logs = new CollectingLoggerProvider();
        await using var instance = await TracedInstanceAsync(logs);
        instance.UseKestrel(0);
        instance.StartServer();
        var address = new Uri(instance.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First().Replace("[::]", "127.0.0.1"));
        var basic = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{ServiceFixture.RootKeyId}:{ServiceFixture.RootSecret}"));
        foreach (var line in new[] { $"Authorization : Basic {basic}", $"Authorization Bearer {ServiceFixture.RootSecret}", $"Authorization: Basic {basic}\rX" })
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(address.Host, address.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"GET /v2/apps HTTP/1.1\r\nHost: a\r\n{line}\r\n\r\n"));
            using var reader = new StreamReader(stream);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            Assert.StartsWith("HTTP/1.1 400 ", await reader.ReadToEndAsync(timeout.Token), StringComparison.Ordinal);
        }

        Assert.NotEmpty(logs.Lines);
        foreach (var secret in new[] { basic, ServiceFixture.RootSecret })
        {
            Assert.DoesNotContain(logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }

    /// <summary>An instance on a database of its own, every log category at Trace, its lines in <paramref name="logs"/>.</summary>
    private async Task<ConfiguredServiceFactory> TracedInstanceAsync(CollectingLoggerProvider logs)
    {
        var database = await service.Postgres.CreateDatabaseAsync("trace_" + Guid.NewGuid().ToString("N")[..8]);
        var settings = ServiceFixture.RootKeySettings(rateLimited: false);
        foreach (var category in new[] { "Default", "Microsoft", "Microsoft.AspNetCore", "Microsoft.EntityFrameworkCore", "Microsoft.EntityFrameworkCore.Database.Command", "Npgsql" })
        {
            settings[$"Logging:LogLevel:{category}"] = "Trace";
        }

        // And per provider, as an operator may turn up one sink: a provider's rule is chosen over every rule of none.
        settings[$"Logging:{typeof(CollectingLoggerProvider).FullName}:LogLevel:Default"] = "Trace";
        return new ConfiguredServiceFactory(database, settings, services: s => s.AddSingleton<ILoggerProvider>(logs));
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
