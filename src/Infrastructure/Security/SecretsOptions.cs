namespace Provisioning.Infrastructure.Security;

/// <summary>Configuration section <c>Provisioning:Secrets</c>.</summary>
public sealed class SecretsOptions
{
    public const string Section = "Provisioning:Secrets";

    /// <summary>Base64 of 32 random bytes. Encrypts key secrets at rest. Never stored in the database.</summary>
    public string? MasterKey { get; set; }
}
