namespace Provisioning.Domain.Common;

/// <summary>
/// Times as they are stored: PostgreSQL keeps microseconds, .NET counts 100 ns ticks. A time the service answers with
/// before storing it (a create's <c>createdAt</c>, an <c>expiresAt</c> as given) is brought to what every later read
/// gives, so the answer and the reads agree.
/// </summary>
public static class StoredTime
{
    public static DateTimeOffset Of(DateTimeOffset time) => time.AddTicks(-(time.Ticks % TimeSpan.TicksPerMicrosecond));
}
