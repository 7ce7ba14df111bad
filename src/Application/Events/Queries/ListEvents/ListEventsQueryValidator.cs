using FluentValidation;
using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Audit;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Events.Queries.ListEvents;

public sealed class ListEventsQueryValidator : AbstractValidator<ListEventsQuery>
{
    public ListEventsQueryValidator()
    {
        this.AddPageRules(x => x.Page);
        RuleFor(x => x.Type).Must(t => AuditEventTypes.TryParse(t, out _)).When(x => x.Type is not null)
            .OverridePropertyName("filter[type]").WithMessage("filter[type] is not an event type (see docs/events.md).");
        // Counted as the column and the email rule count (code points): a user's address of 197 rare ideographs is 383 UTF-16 units.
        RuleFor(x => x.ResourceId).Must(id => id!.Length > 0 && !Text.IsLongerThan(id, AuditEvent.MaxResourceIdLength)).When(x => x.ResourceId is not null)
            .OverridePropertyName("filter[resourceId]").WithMessage($"filter[resourceId] must be 1–{AuditEvent.MaxResourceIdLength} characters.");
        // (PostgreSQL refuses NUL: without this, a 500.)
        RuleFor(x => x.ResourceId).Must(id => Text.IsValidFreeText(id!)).When(x => x.ResourceId is not null)
            .OverridePropertyName("filter[resourceId]").WithMessage(Text.FreeTextRule("filter[resourceId]"));
        RuleFor(x => x.TenantId).Must(t => IdGenerator.IsValid(t!)).When(x => x.TenantId is not null)
            .OverridePropertyName("filter[tenantId]").WithMessage("filter[tenantId] is not a tenant id.");
    }
}
