using System.Linq.Expressions;
using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Paging;

public static class PagingRules
{
    /// <summary>Validation rules for a cursor page, named as the query parameters are.</summary>
    public static void AddPageRules<T>(this AbstractValidator<T> validator, Func<T, PageRequest> page, Func<string, bool>? isValidCursor = null)
    {
        isValidCursor ??= IdGenerator.IsValid;
        validator.RuleFor(x => page(x).Size).InclusiveBetween(1, PageRequest.MaxSize).When(x => page(x).Size is not null)
            .OverridePropertyName("page[size]").WithMessage($"page[size] must be between 1 and {PageRequest.MaxSize}.");
        validator.RuleFor(x => page(x)).Must(p => p.After is null || p.Before is null)
            .OverridePropertyName("page").WithMessage("Use at most one of page[after] and page[before].");
        validator.RuleFor(x => page(x).After).Must(c => isValidCursor(c!)).When(x => page(x).After is not null)
            .OverridePropertyName("page[after]").WithMessage("page[after] is not a valid cursor.");
        validator.RuleFor(x => page(x).Before).Must(c => isValidCursor(c!)).When(x => page(x).Before is not null)
            .OverridePropertyName("page[before]").WithMessage("page[before] is not a valid cursor.");
    }

    /// <summary>Validation rules for an offset page (v1.1).</summary>
    public static void AddOffsetPageRules<T>(this AbstractValidator<T> validator, Func<T, OffsetPageRequest> page)
    {
        validator.RuleFor(x => page(x).Limit).InclusiveBetween(1, PageRequest.MaxSize).When(x => page(x).Limit is not null)
            .OverridePropertyName("limit").WithMessage($"limit must be between 1 and {PageRequest.MaxSize}.");
        validator.RuleFor(x => page(x).Offset).GreaterThanOrEqualTo(0).When(x => page(x).Offset is not null)
            .OverridePropertyName("offset").WithMessage("offset must be 0 or more.");
    }
}
