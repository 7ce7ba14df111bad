using FluentValidation;
using Provisioning.Application.Common.Validation;

namespace Provisioning.Application.Tenants.Commands.ProvisionTenant;

public sealed class ProvisionTenantCommandValidator : AbstractValidator<ProvisionTenantCommand>
{
    public const int MaxEmails = 1000;

    public ProvisionTenantCommandValidator()
    {
        RuleFor(x => x.Name).ValidDisplayName("name");
        RuleFor(x => x.Key).NotEmpty().OverridePropertyName("key").WithMessage("key (the provisioning key) is required.");
        RuleFor(x => x.Contacts).GreaterThanOrEqualTo(0).When(x => x.Contacts is not null)
            .OverridePropertyName("contacts").WithMessage("contacts must be 0 or more.");
        RuleFor(x => x.Emails!.Count).LessThanOrEqualTo(MaxEmails).When(x => x.Emails is not null)
            .OverridePropertyName("emails").WithMessage($"At most {MaxEmails} emails may be given.");
    }
}
