using Provisioning.Application.Apps;
using Provisioning.Application.Keys;
using Provisioning.Application.ServiceAccounts;

namespace Provisioning.WebApi.Contracts;

/// <summary>A body with only a display name (service accounts).</summary>
public sealed record DisplayNameRequest(string? DisplayName);

/// <summary>
/// Creating a key: its display name, and optionally when it stops working (RFC 3339, in the future, at most 10 years
/// ahead; absent or null: never).
/// </summary>
public sealed record CreateKeyRequest(string? DisplayName, DateTimeOffset? ExpiresAt);

/// <summary><c>{"disabled": true|false}</c>: disables or enables a key.</summary>
public sealed record KeyStateRequest(bool? Disabled)
{
    /// <summary>The flag, or a 400 naming <c>disabled</c> when it is missing.</summary>
    public bool Required() => Disabled
        ?? throw new Application.Common.Exceptions.RequestValidationException("disabled", "disabled is required: true or false.");
}

public sealed record AppKeyResponse(AppKeyDto Key);

public sealed record AppKeyListResponse(IReadOnlyList<AppKeyDto> Keys);

public sealed record KeyResponse(KeyDto Key);

public sealed record KeyListResponse(IReadOnlyList<KeyDto> Keys);

public sealed record ServiceAccountResponse(ServiceAccountDto ServiceAccount);

public sealed record ServiceAccountListResponse(IReadOnlyList<ServiceAccountDto> ServiceAccounts, PageMeta Meta, PageLinks Links);

public sealed record JwtResponse(string Jwt);
