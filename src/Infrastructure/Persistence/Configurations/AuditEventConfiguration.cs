using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Provisioning.Domain.Audit;

namespace Provisioning.Infrastructure.Persistence.Configurations;

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> builder)
    {
        // No foreign keys: the trail outlives what it describes (a deleted tenant's "tenant.deleted" stays readable).
        builder.ToTable("audit_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).HasMaxLength(Domain.Common.IdGenerator.Length);
        builder.Property(e => e.Type).HasMaxLength(48).IsRequired();
        builder.Property(e => e.ActorKeyId).HasMaxLength(Domain.Credentials.KeyId.Length);
        builder.Property(e => e.ActorKind).HasMaxLength(24).IsRequired();
        builder.Property(e => e.ResourceType).HasMaxLength(32).IsRequired();
        builder.Property(e => e.ResourceId).HasMaxLength(AuditEvent.MaxResourceIdLength).IsRequired();
        builder.Property(e => e.RelatedType).HasMaxLength(32);
        builder.Property(e => e.RelatedId).HasMaxLength(AuditEvent.MaxResourceIdLength);
        builder.Property(e => e.RequestId).HasMaxLength(AuditEvent.MaxRequestIdLength);
        builder.Ignore(e => e.Changes);
        // An event is written once and never changed, and its array is never changed in place: the snapshot is the array
        // itself. (The default comparer of a text[] copies it element by element, through a delegate made on each copy.)
        builder.Property<string[]>("_changes").HasColumnName("changes").IsRequired()
            .Metadata.SetValueComparer(new ValueComparer<string[]>(
                (a, b) => ReferenceEquals(a, b) || (a != null && b != null && Enumerable.SequenceEqual(a, b)),
                v => v.Length,
                v => v));

        // filter[tenantId] (also with filter[type]: without its own range, a rare type walked every event of the tenant),
        // filter[resourceId] (the resource or its owner) and lastActivityAt, each in id order. Pruning goes by id
        // (time-ordered, IdGenerator), so created_at has no index to keep up on every event written.
        builder.HasIndex(e => new { e.TenantId, e.Id });
        builder.HasIndex(e => new { e.TenantId, e.Type, e.Id });
        builder.HasIndex(e => new { e.ResourceId, e.Id });
        builder.HasIndex(e => new { e.RelatedId, e.Id }).HasFilter("related_id IS NOT NULL");
    }
}
