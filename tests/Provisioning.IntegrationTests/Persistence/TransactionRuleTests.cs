using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Provisioning.Infrastructure.Persistence;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>
/// Both queues that ride with another round trip — statements in front of the transaction's next command
/// (<see cref="ProvisioningDbContext.Lead"/>) and statements with its COMMIT (<see cref="CommitTail.Add"/>) — refuse a
/// statement when no transaction is open: it would run on its own, and a refusal or failure would take nothing with it.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class TransactionRuleTests(ServiceFixture service)
{
    [Fact]
    public async Task LeadingAndCommitStatements_AreRefusedOutsideATransaction_AndQueuedInsideOne()
    {
        await using var scope = service.Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        var tail = scope.ServiceProvider.GetRequiredService<CommitTail>();

        Assert.Throws<InvalidOperationException>(() => db.Lead(new LeadingStatement("SELECT 1")));
        Assert.Throws<InvalidOperationException>(() => tail.Add(new NpgsqlBatchCommand("SELECT 1")));
        Assert.Null(db.TakeLeading());
        Assert.Null(tail.Take().Statements);

        await using var transaction = await db.Database.BeginTransactionAsync();
        db.Lead(new LeadingStatement("SELECT 1"));
        tail.Add(new NpgsqlBatchCommand("SELECT 1"));
        Assert.Single(db.TakeLeading()!);
        Assert.Single(tail.Take().Statements!);
        await transaction.RollbackAsync();
    }
}
