using Provisioning.Application.Tenants.Commands.BootstrapRootTenant;

namespace Provisioning.UnitTests.Application;

public sealed class BootstrapRootTenantCommandValidatorTests
{
    private static readonly BootstrapRootTenantCommandValidator Validator = new();

    public static TheoryData<string?, string?, string?> Accepted => new()
    {
        { null, null, null },
        { "   ", "", "" }, // blank: the default name, a fresh key id and secret
        { "Acme  ", "act_0123456789abcdef01234567", new string('s', BootstrapRootTenantCommandValidator.MinSecretLength) },
        { new string('n', 100), null, null },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void SettingsTheFirstStartCanUse_AreAccepted(string? tenantName, string? keyId, string? secret) =>
        Assert.True(Validator.Validate(new BootstrapRootTenantCommand(tenantName, keyId, secret)).IsValid);

    public static TheoryData<BootstrapRootTenantCommand, string> Refused => new()
    {
        { new(new string('n', 101), null, null), "TenantName must be at most 100 characters." },
        { new("Ac\u0007me", null, null), "TenantName must not contain control characters." },
        { new(null, "svc_0123456789abcdef01234567", null), "KeyId must be 'act_' followed by 24 lowercase hex characters (or unset, for a fresh one)." },
        { new(null, "act_0123456789ABCDEF01234567", null), "KeyId must be 'act_' followed by 24 lowercase hex characters (or unset, for a fresh one)." },
        { new(null, "act_0123", null), "KeyId must be 'act_' followed by 24 lowercase hex characters (or unset, for a fresh one)." },
        { new(null, null, new string('s', BootstrapRootTenantCommandValidator.MinSecretLength - 1)), "Secret must be at least 32 characters (it is also an HS256 key)." },
        // Basic's password is read as a tenant token first (any user name may come with a token): a secret of that form
        // would be taken for one.
        { new(null, null, "act_0123456789abcdef01234567.0123456789abcdef"), "Secret must not have a tenant token's form (an act_ key id, a dot, more)." },
    };

    /// <summary>Each message begins with the property's name: the start-up check prefixes it with the section to name the setting.</summary>
    [Theory]
    [MemberData(nameof(Refused))]
    public void ABadSetting_IsOneMessageThatBeginsWithItsName(BootstrapRootTenantCommand command, string message)
    {
        var failure = Assert.Single(Validator.Validate(command).Errors);
        Assert.Equal(message, failure.ErrorMessage);
        Assert.StartsWith(failure.PropertyName + " ", failure.ErrorMessage, StringComparison.Ordinal);
    }
}
