using FluentValidation;
using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.ProvisioningKeys.Queries.ListProvisioningKeys;

public sealed class ListProvisioningKeysQueryValidator : AbstractValidator<ListProvisioningKeysQuery>
{
    public ListProvisioningKeysQueryValidator() => this.AddPageRules(x => x.Page, KeyId.IsProvisioning);
}
