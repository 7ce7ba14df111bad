using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Provisioning.Domain.Credentials;
using Provisioning.Domain.Tenants;

namespace Provisioning.Infrastructure.Persistence.Configurations;

internal sealed class ProvisioningKeyConfiguration : IEntityTypeConfiguration<ProvisioningKey>
{
    public void Configure(EntityTypeBuilder<ProvisioningKey> builder)
    {
        builder.ToTable("provisioning_keys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.DisplayName).HasMaxLength(Domain.Common.DisplayName.MaxLength).IsRequired();
        builder.Property(k => k.SecretHash).IsRequired();
        builder.HasOne<Tenant>().WithMany().HasForeignKey(k => k.TenantId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(k => k.TenantId);
        // Provisioning finds the key it is sent by its hash: one index probe however many keys a tenant holds.
        builder.HasIndex(k => k.SecretHash);
    }
}
