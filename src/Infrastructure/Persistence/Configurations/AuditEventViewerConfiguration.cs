using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Provisioning.Infrastructure.Audit;

namespace Provisioning.Infrastructure.Persistence.Configurations;

internal sealed class AuditEventViewerConfiguration : IEntityTypeConfiguration<AuditEventViewer>
{
    public void Configure(EntityTypeBuilder<AuditEventViewer> builder)
    {
        // Filled by a trigger on audit_events: one row per tenant on the path from the root to the event's tenant.
        builder.ToTable("audit_event_viewers");
        builder.HasKey(v => new { v.ViewerTenantId, v.EventId });
        builder.Property(v => v.EventId).HasMaxLength(Domain.Common.IdGenerator.Length);
        builder.Property(v => v.Type).HasMaxLength(48).IsRequired();
        builder.HasIndex(v => new { v.ViewerTenantId, v.Type, v.EventId });
        // No foreign key to audit_events: a checked key on every row written made each event measurably dearer; the
        // rows are written by that trigger (and, for the operator's erasure event, copied from the events it renamed:
        // AddressErasure) and deleted with their event (RetentionPruner, by this index).
        builder.HasIndex(v => v.EventId);
    }
}
