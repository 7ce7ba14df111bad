using Provisioning.Application.ProvisioningKeys;

namespace Provisioning.WebApi.Contracts;

public sealed record ProvisioningKeyListResponse(IReadOnlyList<ProvisioningKeyDto> ProvisioningKeys, PageMeta Meta, PageLinks Links);
