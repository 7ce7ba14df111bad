using Provisioning.Application.ServiceAccounts;

namespace Provisioning.WebApi.Contracts;

public sealed record ServiceAccountListResponse(IReadOnlyList<ServiceAccountDto> ServiceAccounts, PageMeta Meta, PageLinks Links);
