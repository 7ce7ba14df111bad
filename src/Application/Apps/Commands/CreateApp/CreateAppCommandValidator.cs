using FluentValidation;
using Provisioning.Application.Common.Validation;

namespace Provisioning.Application.Apps.Commands.CreateApp;

public sealed class CreateAppCommandValidator : AbstractValidator<CreateAppCommand>
{
    public CreateAppCommandValidator()
    {
        RuleFor(x => x.DisplayName).ValidDisplayName("displayName");
        RuleFor(x => x.Settings!.ConversationRetentionSeconds).GreaterThanOrEqualTo(0)
            .When(x => x.Settings?.ConversationRetentionSeconds is not null)
            .OverridePropertyName("settings.conversationRetentionSeconds")
            .WithMessage("settings.conversationRetentionSeconds must be 0 or more.");
    }
}
