using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Optional;
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

    /// <summary>Members that hold a secret or a credential, by name: a provisioning key is a "Key".</summary>
    private static readonly string[] SecretMembers = ["Secret", "Token", "Jwt", "Key"];

    /// <summary>
    /// The records whose "Key" is an <c>Idempotency-Key</c>, which is no secret (the client's own name for a retry). Any other
    /// record with a member named so is taken to hold a secret until it is named here.
    /// </summary>
    private static readonly string[] IdempotencyKeyHolders =
    [
        typeof(IdempotentRequest).FullName!,
        "Provisioning.Infrastructure.Security.SecretRotation+AnswerKey",
        "Provisioning.Infrastructure.Security.SecretRotation+StoredAnswer",
    ];

    /// <summary>
    /// Every record of the service's assemblies with a string member named like a secret (a key's secret, a tenant token, a
    /// JWT): those that carry one out (a new key's answer, an issued JWT, the bootstrap's result) were
    /// printed whole by a record's ToString, which any later log line of one would have written.
    /// </summary>
    public static TheoryData<Type> RecordsWithASecret()
    {
        var data = new TheoryData<Type>();
        foreach (var type in Records().Where(t => t.GetProperties().Any(IsSecretMember)))
        {
            data.Add(type);
        }

        return data;
    }

    /// <summary>The records of the Application and WebApi assemblies, which hold what comes in from outside and goes out.</summary>
    private static IEnumerable<Type> Records() =>
        new[] { typeof(Credential), typeof(ProvisionTenantRequest) }.SelectMany(t => t.Assembly.GetTypes())
            .Where(t => t.GetMethod("<Clone>$") is not null && !t.IsAbstract && !t.ContainsGenericParameters);

    private static bool IsSecretMember(System.Reflection.PropertyInfo property) =>
        property.PropertyType == typeof(string) && SecretMembers.Contains(property.Name) && property.SetMethod is not null
        && !(property.Name == "Key" && IdempotencyKeyHolders.Contains(property.DeclaringType!.FullName));

    [Theory]
    [MemberData(nameof(RecordsWithASecret))]
    public void EveryRecordWithASecretMember_PrintsWithoutIt(Type record)
    {
        var holder = System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(record);
        foreach (var property in record.GetProperties().Where(IsSecretMember))
        {
            property.SetValue(holder, Secret);
        }

        var printed = holder.ToString()!;
        Assert.DoesNotContain(Secret, printed, StringComparison.Ordinal);
        Assert.StartsWith(record.Name + " { ", printed, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRecordsWithASecret_AreFound()
    {
        // (A test above that finds none would assert nothing.)
        var found = RecordsWithASecret().Cast<object[]>().Select(row => ((Type)row[0]).Name).ToList();
        Assert.Contains("KeyDto", found);
        Assert.Contains("ProvisionedTenantDto", found);
        Assert.Contains("JwtResponse", found);
        Assert.Contains("V1Key", found);
        Assert.Contains("ProvisionTenantRequest", found);
        Assert.Contains("ProvisionTenantCommand", found);
    }

    /// <summary>
    /// What carries a logo URL in (a request, a command) prints it without its user name and password, which the service
    /// refuses but a client may have sent: found by the member's name, whatever its type.
    /// </summary>
    public static TheoryData<Type> RecordsWithALogoUrl()
    {
        var data = new TheoryData<Type>();
        foreach (var type in Records().Where(t => t.GetProperty("LogoUrl") is not null
                     && (t.Name.EndsWith("Request", StringComparison.Ordinal) || t.Name.EndsWith("Command", StringComparison.Ordinal))))
        {
            data.Add(type);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RecordsWithALogoUrl))]
    public void EveryRecordThatTakesALogoUrl_PrintsItWithoutItsPassword(Type record)
    {
        const string url = "https://user:" + Secret + "@cdn.example.com/l.png";
        var holder = System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(record);
        var property = record.GetProperty("LogoUrl")!;
        property.SetValue(holder, property.PropertyType == typeof(string) ? url
            : property.PropertyType == typeof(Optional<string?>) ? new Optional<string?>(true, url)
            : property.PropertyType == typeof(System.Text.Json.JsonElement) ? System.Text.Json.JsonSerializer.SerializeToElement(url)
            : throw new InvalidOperationException($"{record.Name}.LogoUrl is a {property.PropertyType}: add it here"));

        var printed = holder.ToString()!;
        Assert.DoesNotContain(Secret, printed, StringComparison.Ordinal);
        Assert.StartsWith(record.Name + " { ", printed, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRecordsWithALogoUrl_AreFound()
    {
        var found = RecordsWithALogoUrl().Cast<object[]>().Select(row => ((Type)row[0]).Name).ToList();
        Assert.Equal(["ProvisionTenantCommand", "ProvisionTenantRequest", "UpdateTenantCommand", "UpdateTenantRequest"], found.Order());
    }

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
