using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Application.Common.Metrics;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// What one instance's own meter (<see cref="ServiceMetrics.MeterName"/>) records from now on: counters summed per instrument
/// and tag value, gauges as last observed. Only that instance's (its meter is its container's <see cref="IMeterFactory"/>,
/// told apart by <see cref="Meter.Scope"/>; an OTLP exporter picks meters by name, and would take every instance's in this
/// process).
/// </summary>
public sealed class ServiceMeasurements : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Instrument, string? Tag), long> _sums = new();
    private readonly ConcurrentDictionary<string, long> _gauges = new();

    public ServiceMeasurements(WebApplicationFactory<Program> instance)
    {
        var meters = instance.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ServiceMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            _sums.AddOrUpdate((instrument.Name, TagValue(tags)), value, (_, sum) => sum + value));
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => _gauges[instrument.Name] = value);
        _listener.Start();
    }

    /// <summary>The sum of a counter's measurements so far, of those with this tag value (null: those without a tag).</summary>
    public long Count(string instrument, string? tag = null) => _sums.TryGetValue((instrument, tag), out var sum) ? sum : 0;

    /// <summary>A gauge's value now (its callback asked), or null when it reported none.</summary>
    public long? Gauge(string instrument)
    {
        _gauges.TryRemove(instrument, out _);
        _listener.RecordObservableInstruments();
        return _gauges.TryGetValue(instrument, out var value) ? value : null;
    }

    /// <summary>Waits (up to 30 s) until <paramref name="condition"/> holds; false if it never did.</summary>
    public static async Task<bool> UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    public void Dispose() => _listener.Dispose();

    private static string? TagValue(ReadOnlySpan<KeyValuePair<string, object?>> tags) => tags.Length == 0 ? null : tags[0].Value as string;
}
