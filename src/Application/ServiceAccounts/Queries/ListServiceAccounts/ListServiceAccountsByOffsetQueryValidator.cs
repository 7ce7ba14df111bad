using FluentValidation;
using Provisioning.Application.Common.Paging;

namespace Provisioning.Application.ServiceAccounts.Queries.ListServiceAccounts;

public sealed class ListServiceAccountsByOffsetQueryValidator : AbstractValidator<ListServiceAccountsByOffsetQuery>
{
    public ListServiceAccountsByOffsetQueryValidator() => this.AddOffsetPageRules(x => x.Page);
}
