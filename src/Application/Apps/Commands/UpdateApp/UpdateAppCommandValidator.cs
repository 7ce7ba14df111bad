using FluentValidation;
using Provisioning.Application.Common.Validation;

namespace Provisioning.Application.Apps.Commands.UpdateApp;

public sealed class UpdateAppCommandValidator : AbstractValidator<UpdateAppCommand>
{
    public UpdateAppCommandValidator()
    {
        RuleFor(x => x.DisplayName).ValidDisplayName("displayName").When(x => x.DisplayName is not null);
        RuleFor(x => x.Settings!.ConversationRetentionSeconds).GreaterThanOrEqualTo(0)
            .When(x => x.Settings?.ConversationRetentionSeconds is not null)
            .OverridePropertyName("settings.conversationRetentionSeconds")
            .WithMessage("settings.conversationRetentionSeconds must be 0 or more.");
    }
}
