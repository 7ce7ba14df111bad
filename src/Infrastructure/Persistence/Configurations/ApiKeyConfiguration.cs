using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Credentials;
using Provisioning.Domain.ServiceAccounts;
using Provisioning.Domain.Tenants;

namespace Provisioning.Infrastructure.Persistence.Configurations;

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("api_keys", t =>
        {
            // The owner columns must match the kind: a key belongs to exactly what its prefix says.
            t.HasCheckConstraint("ck_api_keys_owner",
                "(kind = 1 AND service_account_id IS NULL AND app_id IS NULL) OR " +
                "(kind = 2 AND service_account_id IS NOT NULL AND app_id IS NULL) OR " +
                "(kind = 3 AND app_id IS NOT NULL AND service_account_id IS NULL)");
        });
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Kind).HasConversion<short>();
        builder.Property(k => k.DisplayName).HasMaxLength(Domain.Common.DisplayName.MaxLength).IsRequired();
        builder.Property(k => k.ProtectedSecret).IsRequired();
        builder.HasOne<Tenant>().WithMany().HasForeignKey(k => k.TenantId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ServiceAccount>().WithMany().HasForeignKey(k => k.ServiceAccountId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<App>().WithMany().HasForeignKey(k => k.AppId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(k => new { k.TenantId, k.Kind });
        builder.HasIndex(k => k.ServiceAccountId);
        builder.HasIndex(k => k.AppId);
    }
}
