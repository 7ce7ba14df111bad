using OpenTelemetry.Resources;
using Provisioning.Infrastructure;

namespace Provisioning.WebApi.Hosting;

/// <summary>
/// The exported telemetry's <c>service.instance.id</c>: the id the instance's log and PostgreSQL sessions carry
/// (<see cref="ServiceInstance"/>), not a second random one, so that a trace, a log line and a session in
/// <c>pg_stat_activity</c> lead to one host.
/// </summary>
public sealed class ServiceInstanceDetector(ServiceInstance instance) : IResourceDetector
{
    public Resource Detect() => new([new KeyValuePair<string, object>("service.instance.id", instance.Id)]);
}
