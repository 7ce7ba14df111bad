using Microsoft.EntityFrameworkCore;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.UnitTests.Infrastructure;

/// <summary>The service's <see cref="ProvisioningDbContext"/> for questions about its model and SQL: no database is reached.</summary>
internal static class ModelOnlyContext
{
    public static ProvisioningDbContext Create() =>
        new(new DbContextOptionsBuilder<ProvisioningDbContext>()
            .UseNpgsql("Host=localhost;Database=model_only")
            .UseSnakeCaseNamingConvention()
            .Options);
}
