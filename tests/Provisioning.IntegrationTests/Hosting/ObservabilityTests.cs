using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Provisioning.Infrastructure;
using Provisioning.IntegrationTests.Fixtures;
using Provisioning.WebApi.Hosting;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>What the service exports when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (docs/operations.md "Observability").</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class ObservabilityTests(ServiceFixture service)
{
    [Fact]
    public async Task ExportedTelemetry_NamesTheInstanceAsItsLogAndSessionsDo_AndItsPoolByOneNameForEveryInstance()
    {
        // A trace, a log line and a session in pg_stat_activity must lead to one host: one id, not the exporter's own random
        // one. And the pool's name (a metric tag dashboards filter on) must not change with every instance and restart.
        // A database of its own: Npgsql's metrics name every pool of the process, and other tests' pools on the fixture's
        // database (their own connection strings, an instance given an Application Name) would be counted.
        var database = await service.Postgres.CreateDatabaseAsync("otel_" + Guid.NewGuid().ToString("N")[..8]);
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
        // connection string: Pooling=False.)
        var pool = Assert.Single(pools.Where(name => name.Contains(databaseName, StringComparison.Ordinal) &&
                                                     !name.Contains("Pooling=False", StringComparison.Ordinal)).Distinct());
        Assert.DoesNotContain(instance.Id, pool);
        Assert.DoesNotContain(other.Services.GetRequiredService<ServiceInstance>().Id, pool);
        Assert.DoesNotContain("Password", pool, StringComparison.OrdinalIgnoreCase);

        void Note(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key.EndsWith("pool.name", StringComparison.Ordinal) && tag.Value is string name)
                {
                    pools.Add(name);
                }
            }
        }
    }
}
