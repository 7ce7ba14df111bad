namespace Provisioning.WebApi.Contracts;

public sealed record JwtResponse(string Jwt);
