using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Provisioning.Infrastructure.Idempotency;

namespace Provisioning.Infrastructure.Persistence.Configurations;

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> builder)
    {
        // No foreign key to the key: a replay after the key was deleted is a 401 anyway, and pruning removes the row.
        builder.ToTable("idempotency_records");
        builder.HasKey(r => new { r.Scope, r.Key });
        builder.Property(r => r.Scope).HasMaxLength(Domain.Credentials.KeyId.Length);
        builder.Property(r => r.Key).HasMaxLength(Application.Common.Abstractions.IdempotentRequest.MaxKeyLength);
        builder.Property(r => r.ContentType).HasMaxLength(255);
        builder.Property(r => r.Location); // text: a 201's Location holds an escaped email of up to 254 code points, past 2048 characters
        builder.HasIndex(r => r.CreatedAt);
    }
}
