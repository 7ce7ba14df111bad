using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Provisioning.Application.Common.Logging;

namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// Connections the server closed as they came because it held its most already (<see cref="ConnectionLimit"/>), said at
/// Warning once a minute with their count. Kestrel says each at Warning itself, a line per connection: a client opening
/// thousands a second would have written as many (its category is held to Error, <see cref="Observability"/>). Counted
/// from Kestrel's own <c>kestrel.rejected_connections</c> instrument.
/// </summary>
public sealed class RejectedConnectionsLog(
    IOptions<KestrelServerOptions> kestrel, IMeterFactory meters, TimeProvider clock, ILogger<RejectedConnectionsLog> logger)
    : IHostedService, IDisposable
{
    public const string KestrelMeter = "Microsoft.AspNetCore.Server.Kestrel";
    public const string RejectedInstrument = "kestrel.rejected_connections";

    private readonly OnceEvery _once = new(clock);
    private MeterListener? _listener;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var limit = kestrel.Value.Limits.MaxConcurrentConnections;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                // This host's Kestrel only (its meters are made by this container's factory), not another in the process.
                if (instrument.Meter.Name == KestrelMeter && instrument.Name == RejectedInstrument && instrument.Meter.Scope == meters)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((_, _, _, _) => _once.Say((count, since) => logger.LogWarning(
            "{Count} connection(s) closed as they came since {Since:u}: the service held {Limit} at once, its most " +
            "({Setting}; by default the process's open-files limit less {Reserve}, at most {Ceiling}). " +
            "A client holding many idle, or a proxy opening one per request: docs/operations.md, \"Connections\"",
            count, since, limit, ConnectionLimit.Setting, ConnectionLimit.Reserve, ConnectionLimit.Ceiling)));
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _listener?.Dispose();
        _once.Dispose();
    }
}
