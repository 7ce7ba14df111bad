using FluentValidation;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Optional;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Tenants.Commands.UpdateTenant;

/// <summary>
/// Changes a tenant. Name, logo and settings may be changed by the tenant itself or an ancestor;
/// contacts and maxApps (its limits) only by an ancestor (403 otherwise).
/// </summary>
public sealed record UpdateTenantCommand(
    string TenantId,
    string? Name,
    Optional<string?> LogoUrl,
    int? Contacts,
    IReadOnlyDictionary<string, Dictionary<string, string?>?>? Settings,
    Optional<int?> MaxApps) : ICommand<TenantDto>;

public sealed class UpdateTenantCommandHandler(IProvisioningDbContext db, ICallerContext callerContext)
    : ICommandHandler<UpdateTenantCommand, TenantDto>
{
    public async ValueTask<TenantDto> Handle(UpdateTenantCommand command, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        var tenant = await db.GetVisibleTenantAsync(caller, command.TenantId, cancellationToken);
        if ((command.Contacts is not null || command.MaxApps.IsSet) && !caller.IsAncestorOf(tenant))
        {
            throw new ForbiddenException("A tenant cannot change its own limits (contacts, maxApps); an ancestor can.");
        }

        if (command.Name is not null)
        {
            tenant.Rename(command.Name);
        }

        if (command.LogoUrl.IsSet)
        {
            tenant.ChangeLogo(command.LogoUrl.Value);
        }

        if (command.Contacts is { } contacts)
        {
            tenant.ChangeContacts(contacts);
        }

        if (command.Settings is not null)
        {
            tenant.ChangeSettings(command.Settings);
        }

        if (command.MaxApps.IsSet)
        {
            tenant.ChangeMaxApps(command.MaxApps.Value);
        }

        await db.SaveChangesAsync(cancellationToken);
        return await db.ToDtoAsync(tenant, cancellationToken);
    }
}

public sealed class UpdateTenantCommandValidator : AbstractValidator<UpdateTenantCommand>
{
    public UpdateTenantCommandValidator()
    {
        When(x => x.Name is not null, () => Common.Validation.ValidationRules.ValidDisplayName(RuleFor(x => x.Name), "name"));
        RuleFor(x => x.Contacts).GreaterThanOrEqualTo(0).When(x => x.Contacts is not null)
            .OverridePropertyName("contacts").WithMessage("contacts must be 0 or more.");
    }
}
