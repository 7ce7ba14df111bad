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
        var table = string.Join('\n', new[] { Begin, "| Type | Written when |", "|---|---|" }.Concat(rows).Append(End));

        var path = NodeProject.RepositoryPath("docs", "events.md");
        var text = File.ReadAllText(path);
        var start = text.IndexOf(Begin, StringComparison.Ordinal);
        var end = text.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"{path} has no generated table between '{Begin}' and '{End}'.");
        var current = text[start..(end + End.Length)];
        if (current != table && Environment.GetEnvironmentVariable("PROVISIONING_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, text[..start] + table + text[(end + End.Length)..]);
            return;
        }

        Assert.True(current == table, $"The event types in docs/events.md differ from AuditEventType; run the tests with PROVISIONING_UPDATE_DOCS=1. Expected:\n{table}");
    }
}
