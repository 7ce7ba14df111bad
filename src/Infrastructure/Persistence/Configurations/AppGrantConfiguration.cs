using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Provisioning.Domain.Apps;
using Provisioning.Domain.ServiceAccounts;

namespace Provisioning.Infrastructure.Persistence.Configurations;

internal sealed class AppGrantConfiguration : IEntityTypeConfiguration<AppGrant>
{
    public void Configure(EntityTypeBuilder<AppGrant> builder)
    {
        builder.ToTable("app_grants");
        builder.HasKey(g => new { g.ServiceAccountId, g.AppId });
        builder.HasOne<ServiceAccount>().WithMany().HasForeignKey(g => g.ServiceAccountId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<App>().WithMany().HasForeignKey(g => g.AppId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(g => g.AppId);
    }
}
