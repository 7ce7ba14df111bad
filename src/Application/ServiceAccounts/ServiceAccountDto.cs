namespace Provisioning.Application.ServiceAccounts;

public sealed record ServiceAccountDto(string Id, string DisplayName, DateTimeOffset CreatedAt);
