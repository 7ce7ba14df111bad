using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>Lets `dotnet ef migrations add` build the model without starting the web host.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ProvisioningDbContext>
{
    public ProvisioningDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ProvisioningDbContext>()
            .UseNpgsql("Host=localhost;Database=provisioning_design")
            .UseSnakeCaseNamingConvention()
            .Options);
}
