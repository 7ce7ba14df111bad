using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Provisioning.Application.Common.Metrics;
using Provisioning.Infrastructure;
using Provisioning.IntegrationTests.Fixtures;
using Provisioning.WebApi.Errors;
using Provisioning.WebApi.Hosting;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>What the service exports when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (docs/operations.md "Observability").</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class ObservabilityTests(ServiceFixture service)
{
    /// <summary>Every span of <paramref name="source"/> (of every host in this process) once it has ended, into <paramref name="ended"/>.</summary>
    private static System.Diagnostics.ActivityListener Hearing(string source, System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity> ended)
    {
        var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name == source,
            Sample = static (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) =>
                System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = ended.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        return listener;
    }

    [Fact]
    public async Task ExportedTelemetry_NamesTheInstanceAsItsLogAndSessionsDo_AndItsPoolByOneNameForEveryInstance()
    {
        // A trace, a log line and a session in pg_stat_activity must lead to one host: one id, not the exporter's own random
        // one. And the pool's name (a metric tag dashboards filter on) must not change with every instance and restart.
        // A database of its own: Npgsql's metrics name every pool of the process, and other tests' pools on the fixture's
        // database (their own connection strings, an instance given an Application Name) would be counted.
        // With a client key's password in the string, as a TLS setup with client certificates has (Npgsql's default name kept
        // it, in every export of the listener's and the session locks' connections: a probe).
        const string sslPassword = "ssl-secret-4567";
        var database = await service.Postgres.CreateDatabaseAsync("otel_" + Guid.NewGuid().ToString("N")[..8]) + ";SSL Password=" + sslPassword;
        var settings = new Dictionary<string, string?> { [Observability.OtlpEndpointSetting] = "http://127.0.0.1:1" }; // (nothing listens)
        await using var one = new ConfiguredServiceFactory(database, settings);
        one.CreateClient().Dispose();
        await using var other = new ConfiguredServiceFactory(database, settings);
        other.CreateClient().Dispose();

        var instance = one.Services.GetRequiredService<ServiceInstance>();
        var exported = one.Services.GetRequiredService<TracerProvider>().GetResource().Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal(instance.Id, exported["service.instance.id"]);
        Assert.Equal(Observability.ServiceName, exported["service.name"]);

        // The pool's name as Npgsql's metrics tag it: one for both instances.
        var databaseName = new NpgsqlConnectionStringBuilder(database).Database!;
        var pools = new System.Collections.Concurrent.ConcurrentBag<string>();
        using (var metrics = new MeterListener())
        {
            metrics.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Npgsql")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            metrics.SetMeasurementEventCallback<int>((_, _, tags, _) => Note(tags));
            metrics.SetMeasurementEventCallback<long>((_, _, tags, _) => Note(tags));
            metrics.SetMeasurementEventCallback<double>((_, _, tags, _) => Note(tags));
            metrics.Start();
            metrics.RecordObservableInstruments();
        }

        // (Unpooled connections — the listener's, a migration's lock — are each a "pool" of their own there, named by their
        // connection string: Pooling=False. Each kind has one name too, and none holds a password or an instance's id.)
        var named = pools.Where(name => name.Contains(databaseName, StringComparison.Ordinal)).Distinct().ToList();
        Assert.Single(named, name => !name.Contains("Pooling=False", StringComparison.Ordinal));
        Assert.Contains(named, name => name.Contains("Pooling=False", StringComparison.Ordinal)); // (the listeners' connections)
        foreach (var name in named)
        {
            Assert.DoesNotContain(instance.Id, name);
            Assert.DoesNotContain(other.Services.GetRequiredService<ServiceInstance>().Id, name);
            Assert.DoesNotContain("Password", name, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(sslPassword, name);
        }

        void Note(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "db.client.connection.pool.name" && tag.Value is string name)
                {
                    pools.Add(name);
                }
            }
        }
    }

    [Fact]
    public async Task TheExport_LeavesOutThePollsSql_CountsNoReplayAsAnError_AndIsNamedAndWordedAsOperatorsSearch()
    {
        // The revocation heartbeat (twice a second) and the pool settings' comparison (every 5 s) were a one-span trace each,
        // ≈ 190,000 a day per idle instance (a probe of the OTLP export). A database of its own names this instance's spans.
        var database = await service.Postgres.CreateMigratedDatabaseAsync("otelpoll_" + Guid.NewGuid().ToString("N")[..8]);
        var databaseName = new NpgsqlConnectionStringBuilder(database).Database!;
        var spans = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = Hearing("Npgsql", spans);
        var settings = ServiceFixture.RootKeySettings();
        settings[Observability.OtlpEndpointSetting] = "http://127.0.0.1:1"; // (nothing listens)
        settings["OTEL_SERVICE_NAME"] = "provisioning-eu";
        await using var instance = new ConfiguredServiceFactory(database, settings);
        using var root = await instance.CreateRootClientAsync();
        await root.GetJsonAsync("/v2/apps");

        // Six seconds idle: a dozen heartbeats and at least one comparison. (A new session records its settings with the same
        // question, untraced too: traced with whatever opened it, a key-usage flush that opened one in these seconds made it a
        // span here, and this test failed once in CI.)
        var idleFrom = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(6));
        var ours = spans.Where(span => databaseName.Equals(span.GetTagItem("db.namespace"))).ToList();
        string Text(System.Diagnostics.Activity span) => span.GetTagItem("db.query.text") as string ?? span.DisplayName;
        Assert.Contains(ours, span => Text(span).Contains("FROM apps", StringComparison.Ordinal)); // the request's, traced
        var idle = ours.Where(span => span.StartTimeUtc >= idleFrom).ToList();
        // (The polls ran meanwhile: the cache is trusted only while the listener hears this instance's heartbeats.)
        Assert.True(instance.Services.GetRequiredService<Provisioning.Infrastructure.Credentials.CachedCredentialStore>().IsListening);
        Assert.DoesNotContain(idle, span => Text(span).Contains("pg_notify", StringComparison.Ordinal));
        Assert.DoesNotContain(idle, span => Text(span).Contains("pg_db_role_setting", StringComparison.Ordinal));

        // A replay of an Idempotency-Key is answered by the claim's raised PX200: an error span to trace stores, which counted
        // replays among the failures (a probe). Heard after the service's exporter pipeline has run (a listener added after
        // its own: listeners are told in the order they came).
        var exported = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using (Hearing("Npgsql", exported))
        {
            for (var i = 0; i < 2; i++)
            {
                using var keyed = new HttpRequestMessage(HttpMethod.Post, "/v2/apps") { Content = Http.Json(new { displayName = "replayed" }) };
                keyed.Headers.Add("Idempotency-Key", "replayed-" + databaseName);
                using var answer = await root.SendAsync(keyed);
                Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
            }
        }

        var replayed = exported.Where(span => databaseName.Equals(span.GetTagItem("db.namespace")) && span.Events.Any(e => e.Name == "exception")).ToList();
        Assert.NotEmpty(replayed);
        Assert.All(replayed, span => Assert.Equal(System.Diagnostics.ActivityStatusCode.Unset, span.Status));
        Assert.All(replayed, span => Assert.Null(span.GetTagItem("error.type")));

        // OTEL_SERVICE_NAME names the service (it was overridden); a log record carries its text as the console has it.
        var resource = instance.Services.GetRequiredService<TracerProvider>().GetResource().Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal("provisioning-eu", resource["service.name"]);
        Assert.True(instance.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<OpenTelemetry.Logs.OpenTelemetryLoggerOptions>>()
            .CurrentValue.IncludeFormattedMessage);
    }

    [Fact]
    public async Task ARequestsSpan_CarriesNoQueryString_WhereAClientMayHavePutASecret_NorAUsersEmailAddress()
    {
        // The instrumentation redacts values after '=' only: a secret sent bare (`?<secret>`) or as a name was exported as
        // sent (a probe of the OTLP export). A tenant user's address in the path is personal data a trace store would keep
        // beyond the service's retention and its erasure.
        const string secret = "QuerySecret-5f0c1d2e3a4b";
        var spans = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = Hearing("Microsoft.AspNetCore", spans);
        var settings = ServiceFixture.RootKeySettings();
        settings[Observability.OtlpEndpointSetting] = "http://127.0.0.1:1"; // (nothing listens)
        await using var instance = new ConfiguredServiceFactory(await service.Postgres.CreateMigratedDatabaseAsync("otelq_" + Guid.NewGuid().ToString("N")[..8]), settings);
        using var root = await instance.CreateRootClientAsync();
        // In a trace of this test's own (the listener hears every host of the process, the other collection's too).
        var trace = System.Diagnostics.ActivityTraceId.CreateRandom();
        foreach (var query in new[] { secret, $"page[size]=1&{secret}", $"{secret}=1" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/apps?{query}");
            request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{System.Diagnostics.ActivitySpanId.CreateRandom().ToHexString()}-01");
            using var answer = await root.SendAsync(request);
        }

        foreach (var address in new[] { "ann@example.com", "ann%40example.com" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/tenants/ten_00000000000000000000000a/users/{address}");
            request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{System.Diagnostics.ActivitySpanId.CreateRandom().ToHexString()}-01");
            using var answer = await root.SendAsync(request);
        }

        // (A request's span ends as its answer is finished, which the client may see first.)
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        List<System.Diagnostics.Activity> ours;
        while ((ours = spans.Where(a => a.TraceId == trace && a.Kind == System.Diagnostics.ActivityKind.Server).ToList()).Count < 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(5, ours.Count);
        Assert.Equal(3, ours.Count(span => "/v2/apps".Equals(span.GetTagItem("url.path"))));
        Assert.Equal(2, ours.Count(span => "/v2/tenants/ten_00000000000000000000000a/users/{email}".Equals(span.GetTagItem("url.path"))));
        Assert.DoesNotContain(ours, span => span.TagObjects.Any(tag => tag.Value?.ToString()?.Contains("ann", StringComparison.Ordinal) == true)
                                            || span.DisplayName.Contains("ann", StringComparison.Ordinal));
        Assert.All(ours, span => Assert.Null(span.GetTagItem("url.query")));
        Assert.DoesNotContain(spans, span => span.TagObjects.Any(tag => tag.Value?.ToString()?.Contains(secret, StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task AFaultsAnswer_CarriesItsExceptionsType_OnTheRequestDuration_AndAClientsErrorNone()
    {
        // Since .NET 10 the framework leaves error.type off http.server.request.duration when an exception handler handled the
        // exception, and the service's handles every one: an outage's 503s were told from each other by status alone.
        var database = await service.Postgres.CreateMigratedDatabaseAsync("otele_" + Guid.NewGuid().ToString("N")[..8]);
        var (proxy, viaProxy) = TcpProxy.InFrontOf(database); // (to cut the database away)
        await using var _ = proxy;
        await using var instance = new ConfiguredServiceFactory(viaProxy, ServiceFixture.RootKeySettings());
        using var root = await instance.CreateRootClientAsync();
        var meters = instance.Services.GetRequiredService<IMeterFactory>();
        var ended = new System.Collections.Concurrent.ConcurrentQueue<(string Route, int Status, string? ErrorType)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Name == "http.server.request.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            var (route, status, errorType) = (string.Empty, 0, (string?)null);
            foreach (var tag in tags)
            {
                (route, status, errorType) = tag.Key switch
                {
                    "http.route" => ((string)tag.Value!, status, errorType),
                    "http.response.status_code" => (route, Convert.ToInt32(tag.Value, System.Globalization.CultureInfo.InvariantCulture), errorType),
                    ApiExceptionHandler.ErrorTypeTag => (route, status, (string?)tag.Value),
                    _ => (route, status, errorType),
                };
            }

            ended.Enqueue((route, status, errorType));
        });
        listener.Start();

        using (var missing = await root.GetAsync("/v2/apps/" + new string('0', 24))) // an exception handled as 404
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        proxy.Cut();
        using (var away = await root.GetAsync("/v2/apps"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, away.StatusCode);
        }

        // The health probes are not measured (a load balancer's polls were most of the requests, and their 503s in an outage
        // part of the 5xx rate: a probe of the OTLP export), whatever they answer.
        foreach (var probe in new[] { "/healthz", "/readyz" })
        {
            using var polled = await root.GetAsync(probe);
            Assert.True(polled.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, probe);
        }

        // (A request's measurement is taken as its answer is finished, which the client may see first.)
        Assert.True(await ServiceMeasurements.UntilAsync(() => ended.Count(e => e.Status is 404 or 503) == 2), string.Join(", ", ended));
        using (var after = await root.GetAsync("/v2/apps"))
        {
            // One more, measured, after the probes: once it is counted, theirs would have been too.
            Assert.True(await ServiceMeasurements.UntilAsync(() => ended.Count(e => e.Status is 404 or 503) == 3), string.Join(", ", ended));
        }

        Assert.DoesNotContain(ended, e => e.Route.Length == 0); // the probes are this test's only requests without a route
        Assert.Null(Assert.Single(ended, e => e.Status == 404).ErrorType);
        // The cause, as the fault's log line names it (a connection refused, or one in the pool found reset), not EF Core's
        // InvalidOperationException around every outage.
        var fault = ended.First(e => e.Status == 503).ErrorType;
        Assert.Contains(fault, new[] { typeof(System.Net.Sockets.SocketException).FullName, typeof(EndOfStreamException).FullName, typeof(IOException).FullName });
    }

    [Fact]
    public async Task TheServicesOwnMeter_IsExported_WithOtlpOn_AndListenedToByNothing_WithItOff()
    {
        // Its instruments (ServiceMetricsTests) are enabled by the OpenTelemetry meter provider only if it was told the meter's
        // name: a meter left out of AddMeter records nothing for the exporter, whatever the code measures.
        // (The provider picks meters by name, every host's in the process: this holds while no other host exports meanwhile.
        // Only this class turns OTLP on, and its tests run one at a time.)
        foreach (var exported in new[] { true, false })
        {
            var settings = ServiceFixture.RootKeySettings();
            if (exported)
            {
                settings[Observability.OtlpEndpointSetting] = "http://127.0.0.1:1"; // (nothing listens)
            }

            await using var instance = new ConfiguredServiceFactory(await service.Postgres.CreateMigratedDatabaseAsync("otelm_" + Guid.NewGuid().ToString("N")[..8]), settings);
            using var root = await instance.CreateRootClientAsync(); // (a request: the instruments exist)
            var meters = instance.Services.GetRequiredService<IMeterFactory>();
            var instruments = new List<(string Name, bool Enabled)>();
            using (var listener = new MeterListener())
            {
                // Enabled as published: by another listener (the exporter's) before this one enables anything.
                listener.InstrumentPublished = (instrument, _) =>
                {
                    if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Meter.Name == ServiceMetrics.MeterName)
                    {
                        instruments.Add((instrument.Name, instrument.Enabled));
                    }
                };
                listener.Start();
            }

            Assert.Contains(instruments, i => i.Name == "provisioning.credential.lookups");
            Assert.Contains(instruments, i => i.Name == "provisioning.credential.cache.trusted");
            Assert.All(instruments, i => Assert.Equal(exported, i.Enabled));
        }
    }
}
