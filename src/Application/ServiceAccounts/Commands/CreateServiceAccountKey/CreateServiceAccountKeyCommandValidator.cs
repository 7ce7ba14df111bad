using FluentValidation;
using Provisioning.Application.Common.Validation;

namespace Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccountKey;

public sealed class CreateServiceAccountKeyCommandValidator : AbstractValidator<CreateServiceAccountKeyCommand>
{
    public CreateServiceAccountKeyCommandValidator() => RuleFor(x => x.DisplayName).ValidDisplayName("displayName");
}
