using FluentValidation;
using Provisioning.Application.Common.Paging;

namespace Provisioning.Application.Tenants.Queries.ListTenants;

public sealed class ListTenantsQueryValidator : AbstractValidator<ListTenantsQuery>
{
    public ListTenantsQueryValidator() => this.AddPageRules(x => x.Page);
}
