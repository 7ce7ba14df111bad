using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A change PostgreSQL committed on the primary after the service's command timeout cancelled its wait for a synchronous
/// standby (<c>synchronous_standby_names</c>): made, but not confirmed where the operator asked it to be, so not answered
/// as made — 503, retry after <c>Retry-After</c> (a keyed retry gets the stored answer, which committed with it). Logged at
/// Error by <see cref="UnitOfWork"/>.
/// </summary>
public sealed class CommitNotReplicatedException()
    : ExpectedException("service_unavailable", 503,
        "The change was made on the primary database, but its synchronous standby did not confirm it in time (a failover now could lose it). " +
        "A retry with the same Idempotency-Key gets its answer; look before retrying a create sent without one.");
