using Provisioning.Application.ProvisioningKeys;

namespace Provisioning.WebApi.Contracts;

public sealed record ProvisioningKeyResponse(ProvisioningKeyDto ProvisioningKey);
