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
        builder.Property(a => a.DisplayName).HasMaxLength(Domain.Common.DisplayName.MaxLength).IsRequired();
        builder.ComplexProperty(a => a.Settings);
        // The domain makes every token; the column default only serves rows written without one (apps that existed
        // before tokens, or an older instance still running during a rolling upgrade): 25 hex characters, unique.
        builder.Property(a => a.AppToken).HasMaxLength(Domain.Apps.AppToken.Length).IsRequired()
            .HasDefaultValueSql("substr(md5(random()::text || clock_timestamp()::text), 1, 25)");
        builder.HasIndex(a => a.AppToken).IsUnique();

        // json (not jsonb) keeps the keys in the order the client sent them.
        builder.Property(a => a.Metadata).HasColumnType("json");

        builder.HasOne<Tenant>().WithMany().HasForeignKey(a => a.TenantId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(a => new { a.TenantId, a.Id });
    }
}
