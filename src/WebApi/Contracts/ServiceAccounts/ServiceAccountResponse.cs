using Provisioning.Application.ServiceAccounts;

namespace Provisioning.WebApi.Contracts;

public sealed record ServiceAccountResponse(ServiceAccountDto ServiceAccount);
