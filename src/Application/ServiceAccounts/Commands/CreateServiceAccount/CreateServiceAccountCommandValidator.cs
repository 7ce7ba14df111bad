using FluentValidation;
using Provisioning.Application.Common.Validation;

namespace Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccount;

public sealed class CreateServiceAccountCommandValidator : AbstractValidator<CreateServiceAccountCommand>
{
    public CreateServiceAccountCommandValidator() => RuleFor(x => x.DisplayName).ValidDisplayName("displayName");
}
