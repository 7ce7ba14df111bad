namespace Provisioning.Infrastructure.Security;

/// <summary>Configuration section <c>Provisioning:Secrets</c>.</summary>
public sealed class SecretsOptions
{
    public const string Section = "Provisioning:Secrets";

    /// <summary>Older master keys that still decrypt while <c>rotate-secrets</c> moves secrets off them: an array (<c>:0</c>, <c>:1</c>, …), read by hand.</summary>
    public const string PreviousMasterKeysSetting = Section + ":PreviousMasterKeys";

    /// <summary>Base64 of 32 random bytes. Encrypts key secrets at rest. Never stored in the database.</summary>
    public string? MasterKey { get; set; }
}
