using FluentValidation;
using Provisioning.Application.Common.Validation;

namespace Provisioning.Application.ServiceAccounts.Commands.UpdateServiceAccount;

public sealed class UpdateServiceAccountCommandValidator : AbstractValidator<UpdateServiceAccountCommand>
{
    public UpdateServiceAccountCommandValidator() => RuleFor(x => x.DisplayName).ValidDisplayName("displayName");
}
