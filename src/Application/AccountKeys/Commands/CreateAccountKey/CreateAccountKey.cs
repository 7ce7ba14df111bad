using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.AccountKeys.Commands.CreateAccountKey;

/// <summary>Creates an <c>act_</c> key of the caller's tenant. Its secret is shown in this answer only.</summary>
public sealed record CreateAccountKeyCommand(string? DisplayName) : ICommand<KeyDto>;

public sealed class CreateAccountKeyCommandHandler(
    IProvisioningDbContext db, ICallerContext callerContext, ISecretGenerator secrets, ISecretProtector protector, TimeProvider clock)
    : ICommandHandler<CreateAccountKeyCommand, KeyDto>
{
    public async ValueTask<KeyDto> Handle(CreateAccountKeyCommand command, CancellationToken cancellationToken)
    {
        var secret = secrets.NewSecret();
        var key = ApiKey.ForAccount(callerContext.Caller.TenantId, command.DisplayName!, protector.Protect(secret), clock.GetUtcNow());
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        return key.ToDto(secret);
    }
}

public sealed class CreateAccountKeyCommandValidator : FluentValidation.AbstractValidator<CreateAccountKeyCommand>
{
    public CreateAccountKeyCommandValidator() =>
        Common.Validation.ValidationRules.ValidDisplayName(RuleFor(x => x.DisplayName), "displayName");
}
