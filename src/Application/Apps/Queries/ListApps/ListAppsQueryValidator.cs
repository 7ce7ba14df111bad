using FluentValidation;
using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Apps.Queries.ListApps;

public sealed class ListAppsQueryValidator : AbstractValidator<ListAppsQuery>
{
    public ListAppsQueryValidator()
    {
        this.AddPageRules(x => x.Page);
        RuleFor(x => x.ServiceAccountId).Must(IdGenerator.IsValid!).When(x => x.ServiceAccountId is not null)
            .OverridePropertyName("filter[serviceAccountId]").WithMessage("filter[serviceAccountId] is not a valid service account id.");
    }
}
