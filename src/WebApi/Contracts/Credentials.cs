using Provisioning.Application.Apps;
using Provisioning.Application.Keys;
using Provisioning.Application.ServiceAccounts;

namespace Provisioning.WebApi.Contracts;

/// <summary>A body with only a display name (service accounts, keys).</summary>
public sealed record DisplayNameRequest(string? DisplayName);

public sealed record AppKeyResponse(AppKeyDto Key);

public sealed record AppKeyListResponse(IReadOnlyList<AppKeyDto> Keys);

public sealed record KeyResponse(KeyDto Key);

public sealed record KeyListResponse(IReadOnlyList<KeyDto> Keys);

public sealed record ServiceAccountResponse(ServiceAccountDto ServiceAccount);

public sealed record ServiceAccountListResponse(IReadOnlyList<ServiceAccountDto> ServiceAccounts, PageMeta Meta, PageLinks Links);

public sealed record JwtResponse(string Jwt);
