using Provisioning.Domain.Audit;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Documentation;

/// <summary>The event-type table of docs/events.md is the code's own list. Set <c>PROVISIONING_UPDATE_DOCS=1</c> to rewrite it.</summary>
public sealed class EventsDocTests
{
    private const string Begin = "<!-- event-types: generated from AuditEventType by EventsDocTests -->";
    private const string End = "<!-- /event-types -->";

    [Fact]
    public void TheDocumentedEventTypes_AreTheCodes()
    {
        var rows = AuditEventTypes.All.Select(t => $"| `{t.WireName()}` | {t.Describe()} |");
        GeneratedDocSection.AssertCurrent(
            NodeProject.RepositoryPath("docs", "events.md"), Begin, End, rows.Prepend("|---|---|").Prepend("| Type | Written when |"),
            "The event types in docs/events.md differ from AuditEventType");
    }
}
