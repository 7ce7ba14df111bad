using Npgsql;
using NpgsqlTypes;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Audit;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Audit;

/// <summary>
/// An event is one <c>INSERT</c> sent with the transaction's <c>COMMIT</c> (<see cref="CommitTail"/>), in no round trip
/// of its own and outside EF's change tracking: nothing in the request reads it back, and going through EF's save cost a
/// tracked entity, its snapshot and its generated SQL on every change (docs/operations.md, "Cost"). If it fails,
/// PostgreSQL skips the <c>COMMIT</c> and the change rolls back with it. Its viewer rows are written by the table's
/// trigger (migration <c>IdempotencyAndAudit</c>), as for any row of <c>audit_events</c>.
/// </summary>
internal sealed class AuditEventWriter(CommitTail commitTail) : IAuditEventWriter
{
    /// <summary>
    /// The columns written, in the order of <see cref="Write"/>'s parameters; a test holds them to EF's mapping. Not
    /// <c>id</c>: the database makes it from its own clock as the row goes in (migration <c>EventIdsFromTheDatabaseClock</c>),
    /// which is what lets the reader show only events no later commit can come before.
    /// </summary>
    internal static readonly string[] Columns =
    [
        "tenant_id", "type", "actor_key_id", "actor_kind", "actor_tenant_id", "on_behalf_of", "resource_type",
        "resource_id", "related_type", "related_id", "request_id", "created_at", "changes",
    ];

    private static readonly string InsertSql =
        $"INSERT INTO audit_events ({string.Join(", ", Columns)}) VALUES ({string.Join(", ", Columns.Select((_, i) => $"${i + 1}"))})";

    public void Write(AuditEvent auditEvent)
    {
        var statement = new NpgsqlBatchCommand(InsertSql)
        {
            Parameters =
            {
                TextParameter.Of(auditEvent.TenantId.Value),
                TextParameter.Of(auditEvent.Type),
                TextParameter.Of(auditEvent.ActorKeyId),
                TextParameter.Of(auditEvent.ActorKind),
                TextParameter.Of(auditEvent.ActorTenantId?.Value),
                TextParameter.Of(auditEvent.OnBehalfOf?.Value),
                TextParameter.Of(auditEvent.ResourceType),
                TextParameter.Of(auditEvent.ResourceId),
                TextParameter.Of(auditEvent.RelatedType),
                TextParameter.Of(auditEvent.RelatedId),
                TextParameter.Of(auditEvent.RequestId),
                new NpgsqlParameter<DateTimeOffset> { TypedValue = auditEvent.CreatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                new NpgsqlParameter<string[]> { TypedValue = [.. auditEvent.Changes], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
            },
        };
        commitTail.Add(statement);

        // Its row, found by what this request wrote into it (the id is the database's): the index on resource_id leads.
        commitTail.Prove(new CommitProof(ProofSql, () =>
        [
            TextParameter.Of(auditEvent.ResourceId),
            TextParameter.Of(auditEvent.Type),
            TextParameter.Of(auditEvent.TenantId.Value),
            new NpgsqlParameter<DateTimeOffset> { TypedValue = auditEvent.CreatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz },
            TextParameter.Of(auditEvent.RequestId),
            TextParameter.Of(auditEvent.ActorKeyId),
        ]));
    }

    private const string ProofSql =
        "SELECT EXISTS (SELECT 1 FROM audit_events WHERE resource_id = $1 AND type = $2 AND tenant_id = $3 AND created_at = $4 " +
        "AND request_id IS NOT DISTINCT FROM $5 AND actor_key_id IS NOT DISTINCT FROM $6)";
}
