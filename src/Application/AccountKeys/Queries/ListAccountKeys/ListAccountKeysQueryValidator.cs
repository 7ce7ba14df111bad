using FluentValidation;
using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.AccountKeys.Queries.ListAccountKeys;

public sealed class ListAccountKeysQueryValidator : AbstractValidator<ListAccountKeysQuery>
{
    public ListAccountKeysQueryValidator() => this.AddPageRules(x => x.Page, KeyId.IsAccountId);
}
