using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Tenants;

namespace Provisioning.Infrastructure.Persistence.Configurations;

internal sealed class AppConfiguration : IEntityTypeConfiguration<App>
{
    public void Configure(EntityTypeBuilder<App> builder)
    {
        builder.ToTable("apps");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.DisplayName).HasMaxLength(100).IsRequired();
        builder.ComplexProperty(a => a.Settings);
        builder.Property(a => a.AppToken).HasMaxLength(Domain.Apps.AppToken.Length).IsRequired();
        builder.HasIndex(a => a.AppToken).IsUnique();

        // json (not jsonb) keeps the keys in the order the client sent them.
        builder.Property(a => a.Metadata).HasColumnType("json");

        builder.HasOne<Tenant>().WithMany().HasForeignKey(a => a.TenantId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(a => new { a.TenantId, a.Id });
    }
}
