using FluentValidation;
using Provisioning.Application.Common.Paging;

namespace Provisioning.Application.ServiceAccounts.Queries.ListServiceAccountApps;

public sealed class ListServiceAccountAppsQueryValidator : AbstractValidator<ListServiceAccountAppsQuery>
{
    public ListServiceAccountAppsQueryValidator() => this.AddPageRules(x => x.Page);
}
