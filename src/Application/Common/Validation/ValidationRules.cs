using FluentValidation;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Validation;

public static class ValidationRules
{
    /// <summary>A display name: present, not blank, at most 100 characters once trimmed.</summary>
    public static IRuleBuilderOptions<T, string?> ValidDisplayName<T>(this IRuleBuilder<T, string?> rule, string field) =>
        rule.Must(v => !string.IsNullOrWhiteSpace(v) && v.Trim().Length <= DisplayName.MaxLength)
            .OverridePropertyName(field)
            .WithMessage($"{field} is required and must be 1-{DisplayName.MaxLength} characters.");
}
