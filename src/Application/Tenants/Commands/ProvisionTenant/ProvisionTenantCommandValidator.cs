using FluentValidation;

namespace Provisioning.Application.Tenants.Commands.ProvisionTenant;

/// <summary>
/// The request's shape; the tenant's rules (name, contacts, logo, emails, settings) are the domain's. A missing
/// <c>key</c> is not a shape error: like a wrong one, it is 401 (API.md §6), from the handler.
/// </summary>
public sealed class ProvisionTenantCommandValidator : AbstractValidator<ProvisionTenantCommand>
{
    public const int MaxEmails = 1000;

    public ProvisionTenantCommandValidator()
    {
        RuleFor(x => x.Emails!.Count).LessThanOrEqualTo(MaxEmails).When(x => x.Emails is not null)
            .OverridePropertyName("emails").WithMessage($"At most {MaxEmails} emails may be given.");
    }
}
