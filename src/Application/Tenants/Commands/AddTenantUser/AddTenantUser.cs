using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Tenants.Commands.AddTenantUser;

/// <summary>
/// Adds a user by email. Adding an address that is already there (in any case) changes nothing; a new one past
/// <see cref="Domain.Tenants.Tenant.MaxUsers"/> is 400.
/// </summary>
public sealed record AddTenantUserCommand(string TenantId, string? Email) : ICommand<AddTenantUserResult>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.TenantUserAdded;
}

public sealed class AddTenantUserCommandHandler(IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, TimeProvider clock)
    : ICommandHandler<AddTenantUserCommand, AddTenantUserResult>
{
    public async ValueTask<AddTenantUserResult> Handle(AddTenantUserCommand command, CancellationToken cancellationToken)
    {
        // Parallel adds of one address wait for each other on the tenant's row, so the later ones find the user (200)
        // instead of racing for its key (409); the users are read once the row is held.
        await db.LockForUpdateAsync(await db.GetVisibleTenantAsync(callerContext.Caller, command.TenantId, cancellationToken), cancellationToken, reload: false);
        var tenant = await db.GetVisibleTenantAsync(callerContext.Caller, command.TenantId, cancellationToken, withUsers: true);
        var created = tenant.AddUser(command.Email, clock.GetUtcNow(), "email");
        var email = Domain.Tenants.TenantUser.NormalizeEmail(command.Email, "email");
        if (created)
        {
            audit.Record(AuditResources.TenantUser(email), ["email"], related: AuditResource.Tenant(tenant.Id), tenantId: tenant.Id);
        }
        else
        {
            audit.NothingChanged(); // Already a user: the same answer (200), no event.
        }

        await db.SaveChangesAsync(cancellationToken);
        var user = tenant.Users.Single(u => u.Email == email);
        return new AddTenantUserResult(user.ToDto(), created);
    }
}
