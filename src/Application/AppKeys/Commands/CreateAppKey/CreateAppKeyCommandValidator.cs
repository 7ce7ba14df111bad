using FluentValidation;
using Provisioning.Application.Common.Validation;

namespace Provisioning.Application.AppKeys.Commands.CreateAppKey;

public sealed class CreateAppKeyCommandValidator : AbstractValidator<CreateAppKeyCommand>
{
    public CreateAppKeyCommandValidator() => RuleFor(x => x.DisplayName).ValidDisplayName("displayName");
}
