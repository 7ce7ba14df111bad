using FluentValidation;
using Provisioning.Domain.Tenants;

namespace Provisioning.Application.Tenants.Commands.ProvisionTenant;

/// <summary>
/// The request's shape; the tenant's rules (name, contacts, logo, emails, settings) are the domain's. A missing
/// <c>key</c> is not a shape error: like a wrong one, it is 401 (API.md §6), from the handler.
/// </summary>
public sealed class ProvisionTenantCommandValidator : AbstractValidator<ProvisionTenantCommand>
{
    public ProvisionTenantCommandValidator()
    {
        // Checked before the addresses are (the domain refuses the user past the limit too, after duplicates collapse).
        RuleFor(x => x.Emails!.Count).LessThanOrEqualTo(Tenant.MaxUsers).When(x => x.Emails is not null)
            .OverridePropertyName("emails").WithMessage($"At most {Tenant.MaxUsers} emails may be given (a tenant may have at most {Tenant.MaxUsers} users).");
    }
}
