using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>The system clock read to the microsecond (<see cref="StoredTime"/>): every time the service makes is one it can store as it is.</summary>
internal sealed class StoredPrecisionClock : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => StoredTime.Of(base.GetUtcNow());
}
