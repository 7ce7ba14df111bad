using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Provisioning.Domain.Tenants;

namespace Provisioning.Infrastructure.Persistence.Configurations;

internal sealed class TenantConfiguration : IEntityTypeConfiguration<Tenant>
{
    /// <summary>A tenant's own settings as stored (<c>own_settings</c>, jsonb), as the aggregate's read-only view.</summary>
    internal static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ReadSettings(string json) =>
        TenantSettings.ReadOnly(
            JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, string>>>(json, (JsonSerializerOptions?)null)
            ?? new Dictionary<string, Dictionary<string, string>>());

    public void Configure(EntityTypeBuilder<Tenant> builder)
    {
        // A suspension's holder only while suspended (Tenant.SuspendedBy): the domain clears it on resuming, and so does a
        // trigger for the builds before it (migration SuspensionsHeldByTheirSender).
        builder.ToTable("tenants", t => t.HasCheckConstraint("ck_tenants_suspended_by_while_suspended",
            "suspended_by IS NULL OR status = 'suspended'"));
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Name).HasMaxLength(Domain.Common.DisplayName.MaxLength).IsRequired();
        builder.Property(t => t.LogoUrl).HasMaxLength(Tenant.MaxLogoUrlLength);
        builder.Property(t => t.Status).HasMaxLength(16).IsRequired();
        // No foreign key: the holder is an ancestor, so it outlives the suspension it holds (a tenant goes with its subtree).
        builder.Property(t => t.SuspendedBy);
        builder.Ignore(t => t.Depth);

        // Root to self, inclusive: "is X an ancestor of Y" is `Y.path @> ARRAY[X]`, served by the GIN index.
        // The aggregate exposes a read-only view; EF reads and writes the array behind it.
        builder.PrimitiveCollection(t => t.Path).HasField("_path").UsePropertyAccessMode(PropertyAccessMode.Field).IsRequired();
        builder.HasIndex(t => t.Path).HasMethod("gin");

        builder.HasOne<Tenant>().WithMany().HasForeignKey(t => t.ParentId).OnDelete(DeleteBehavior.Cascade);

        // Exactly one root tenant, even when two instances bootstrap at once.
        builder.HasIndex(t => t.ParentId).IsUnique().HasFilter("parent_id IS NULL").AreNullsDistinct(false)
            .HasDatabaseName("ix_tenants_single_root");
        // Children in list order (GET /v2/tenants pages by id within a parent).
        builder.HasIndex(t => new { t.ParentId, t.Id }).HasDatabaseName("ix_tenants_parent_id_id");

        // jsonb; read back as the aggregate's read-only view.
        builder.Property(t => t.OwnSettings)
            .HasColumnType("jsonb")
            .HasConversion(
                v => JsonSerializer.Serialize(v, (JsonSerializerOptions?)null),
                v => ReadSettings(v),
                new ValueComparer<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>>(
                    (a, b) => JsonSerializer.Serialize(a, (JsonSerializerOptions?)null) == JsonSerializer.Serialize(b, (JsonSerializerOptions?)null),
                    v => JsonSerializer.Serialize(v, (JsonSerializerOptions?)null).GetHashCode(),
                    v => v));

        builder.HasMany(t => t.Users).WithOne().HasForeignKey(u => u.TenantId).OnDelete(DeleteBehavior.Cascade);
        builder.Navigation(t => t.Users).UsePropertyAccessMode(PropertyAccessMode.Field);
    }
}
