using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Provisioning.Domain.ServiceAccounts;
using Provisioning.Domain.Tenants;

namespace Provisioning.Infrastructure.Persistence.Configurations;

internal sealed class ServiceAccountConfiguration : IEntityTypeConfiguration<ServiceAccount>
{
    public void Configure(EntityTypeBuilder<ServiceAccount> builder)
    {
        builder.ToTable("service_accounts");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.DisplayName).HasMaxLength(Domain.Common.DisplayName.MaxLength).IsRequired();
        builder.Property(s => s.NormalizedName).HasMaxLength(Domain.Common.DisplayName.MaxLength).IsRequired()
            .UseCollation(Collations.Canonical);
        builder.HasOne<Tenant>().WithMany().HasForeignKey(s => s.TenantId).OnDelete(DeleteBehavior.Cascade);

        // Display names are unique per tenant under the column's collation (Collations.Canonical): case, canonically
        // equivalent forms ("é" as one code point or as "e" and a combining accent), width and compatibility forms and
        // ignorable characters do not make another name. (The domain upper-cases the key too, for a database without ICU.)
        builder.HasIndex(s => new { s.TenantId, s.NormalizedName }).IsUnique();

        // A tenant's service accounts in list order (paged by id).
        builder.HasIndex(s => new { s.TenantId, s.Id });
    }
}
