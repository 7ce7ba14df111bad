using FluentValidation;

namespace Provisioning.Application.Tenants.Commands.ProvisionTenant;

/// <summary>The request's shape; the tenant's rules (name, contacts, logo, emails, settings) are the domain's.</summary>
public sealed class ProvisionTenantCommandValidator : AbstractValidator<ProvisionTenantCommand>
{
    public const int MaxEmails = 1000;

    public ProvisionTenantCommandValidator()
    {
        RuleFor(x => x.Key).NotEmpty().OverridePropertyName("key").WithMessage("key (the provisioning key) is required.");
        RuleFor(x => x.Emails!.Count).LessThanOrEqualTo(MaxEmails).When(x => x.Emails is not null)
            .OverridePropertyName("emails").WithMessage($"At most {MaxEmails} emails may be given.");
    }
}
