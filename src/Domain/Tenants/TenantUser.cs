using System.Net.Mail;
using Provisioning.Domain.Common;

namespace Provisioning.Domain.Tenants;

/// <summary>A user of a tenant, known by email address (stored lower-cased).</summary>
public sealed class TenantUser
{
    public const int MaxEmailLength = 254;

    private TenantUser()
    {
        Email = string.Empty;
    }

    public TenantId TenantId { get; private set; }
    public string Email { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    internal static TenantUser Create(TenantId tenant, string email, DateTimeOffset now) =>
        new() { TenantId = tenant, Email = email, CreatedAt = now };

    /// <summary>Trims, checks and lower-cases an address.</summary>
    public static string NormalizeEmail(string? email, string field = "emails")
    {
        var trimmed = email?.Trim();
        // An address is a name people read: no control character and no bidirectional override (Text.IsValidName).
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxEmailLength || !Text.IsValidName(trimmed)
            || !MailAddress.TryCreate(trimmed, out var parsed) || parsed.Address != trimmed
            || !trimmed.Contains('@') || trimmed.Split('@')[1].Length == 0 || !trimmed.Split('@')[1].Contains('.'))
        {
            throw new DomainRuleException(field, $"{field}: '{Truncate(trimmed)}' is not a valid email address.");
        }

        return trimmed.ToLowerInvariant();
    }

    private static string Truncate(string? value) => value is null ? string.Empty : value.Length <= 60 ? value : value[..60] + "…";
}
