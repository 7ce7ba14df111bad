using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccountKey;

/// <summary>Creates an <c>svc_</c> key for a service account; at most 10 per account.</summary>
public sealed record CreateServiceAccountKeyCommand(string ServiceAccountId, string? DisplayName) : ICommand<KeyDto>;

public sealed class CreateServiceAccountKeyCommandHandler(
    IProvisioningDbContext db, ICallerContext callerContext, ITenantLocks locks,
    ISecretGenerator secrets, ISecretProtector protector, TimeProvider clock)
    : ICommandHandler<CreateServiceAccountKeyCommand, KeyDto>
{
    public async ValueTask<KeyDto> Handle(CreateServiceAccountKeyCommand command, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        var account = await db.GetServiceAccountAsync(caller, command.ServiceAccountId, cancellationToken);

        await locks.LockAsync(caller.TenantId, cancellationToken);
        ApiKey.EnsureRoomForAnother(await db.ApiKeys.CountAsync(k => k.ServiceAccountId == account.Id, cancellationToken));

        var secret = secrets.NewSecret();
        var key = ApiKey.ForServiceAccount(account.TenantId, account.Id, command.DisplayName!, protector.Protect(secret), clock.GetUtcNow());
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        return key.ToDto(secret);
    }
}
