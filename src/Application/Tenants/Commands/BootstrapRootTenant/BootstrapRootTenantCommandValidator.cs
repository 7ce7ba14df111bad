using FluentValidation;
using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Tenants.Commands.BootstrapRootTenant;

/// <summary>
/// What the operator may configure for the first start. Each message begins with the property's name, so that the
/// service's start-up check can name the setting (<c>Provisioning:Bootstrap:KeyId …</c>) before anything runs.
/// </summary>
public sealed class BootstrapRootTenantCommandValidator : AbstractValidator<BootstrapRootTenantCommand>
{
    /// <summary>The secret is also an HS256 key: shorter than 256 bits is too weak.</summary>
    public const int MinSecretLength = 32;

    public BootstrapRootTenantCommandValidator()
    {
        RuleFor(c => c.RootName).Custom((name, context) =>
        {
            if (DisplayName.Problem(name, nameof(BootstrapRootTenantCommand.TenantName)) is { } problem)
            {
                context.AddFailure(nameof(BootstrapRootTenantCommand.TenantName), problem);
            }
        });
        RuleFor(c => c.KeyId)
            .Must(KeyId.IsAccountId)
            .When(c => !string.IsNullOrEmpty(c.KeyId))
            .WithMessage("KeyId must be 'act_' followed by 24 lowercase hex characters (or unset, for a fresh one).");
        RuleFor(c => c.Secret!.Length)
            .GreaterThanOrEqualTo(MinSecretLength)
            .When(c => !string.IsNullOrEmpty(c.Secret))
            .OverridePropertyName(nameof(BootstrapRootTenantCommand.Secret))
            .WithMessage($"Secret must be at least {MinSecretLength} characters (it is also an HS256 key).");
        RuleFor(c => c.Secret)
            .Must(secret => !TenantToken.TryParse(secret!, out _, out _))
            .When(c => !string.IsNullOrEmpty(c.Secret) && c.Secret.Length >= MinSecretLength)
            .WithMessage("Secret must not have a tenant token's form (an act_ key id, a dot, more).");
    }
}
