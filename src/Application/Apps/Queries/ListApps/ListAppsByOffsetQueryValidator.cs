using FluentValidation;
using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Apps.Queries.ListApps;

public sealed class ListAppsByOffsetQueryValidator : AbstractValidator<ListAppsByOffsetQuery>
{
    public ListAppsByOffsetQueryValidator()
    {
        this.AddOffsetPageRules(x => x.Page);
        RuleFor(x => x.ServiceAccountId).Must(IdGenerator.IsValid!).When(x => x.ServiceAccountId is not null)
            .OverridePropertyName("serviceAccountId").WithMessage("serviceAccountId is not a valid service account id.");
    }
}
