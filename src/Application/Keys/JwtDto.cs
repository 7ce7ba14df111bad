namespace Provisioning.Application.Keys;

/// <summary>A JWT issued for a key.</summary>
public sealed record JwtDto(string Jwt);
