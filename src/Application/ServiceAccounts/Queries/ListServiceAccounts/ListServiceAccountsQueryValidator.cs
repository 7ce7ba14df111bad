using FluentValidation;
using Provisioning.Application.Common.Paging;

namespace Provisioning.Application.ServiceAccounts.Queries.ListServiceAccounts;

public sealed class ListServiceAccountsQueryValidator : AbstractValidator<ListServiceAccountsQuery>
{
    public ListServiceAccountsQueryValidator() => this.AddPageRules(x => x.Page);
}
