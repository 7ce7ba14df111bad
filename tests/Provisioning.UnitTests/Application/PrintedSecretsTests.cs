using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Tenants.Commands.BootstrapRootTenant;
using Provisioning.Application.Tenants.Commands.ProvisionTenant;
using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;
using Provisioning.WebApi.Contracts;

namespace Provisioning.UnitTests.Application;

/// <summary>
/// What carries a secret in from outside prints without it: a record's ToString lists every member, and MVC prints an
/// action's arguments when its log is at Trace (a provisioning key was in the log that way: a probe).
/// </summary>
public sealed class PrintedSecretsTests
{
    private const string Secret = "s3cr3t-never-printed-0123456789abcdef";

    public static TheoryData<object> Holders => new()
    {
        new ProvisionTenantRequest("Acme", Secret, "https://cdn.example.com/l.png", 5, ["a@example.com"], null),
        new ProvisionTenantCommand("Acme", Secret, null, null, null, null),
        new BootstrapRootTenantCommand("Root", "act_0123456789abcdef01234567", Secret),
        new Credential(KeyId.New(KeyKind.Account), KeyKind.Account, TenantId.New(), null, null, Secret),
    };

    [Theory]
    [MemberData(nameof(Holders))]
    public void ARecordThatHoldsASecret_PrintsWithoutIt(object holder)
    {
        var printed = holder.ToString()!;
        Assert.DoesNotContain(Secret, printed, StringComparison.Ordinal);
        Assert.Contains("(secret)", printed, StringComparison.Ordinal);
        Assert.StartsWith(holder.GetType().Name + " { ", printed, StringComparison.Ordinal);
    }
}
