using Mediator;
using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;

namespace Provisioning.UnitTests.Architecture;

/// <summary>Every change writes an audit event: a command that does not say which one does not compile into the service unnoticed.</summary>
public sealed class AuditCoverageTests
{
    private static readonly System.Reflection.Assembly Application = typeof(Provisioning.Application.DependencyInjection).Assembly;

    [Fact]
    public void EveryCommand_IsAnAuditedCommand()
    {
        var commands = Application.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IBaseCommand).IsAssignableFrom(t)).ToList();
        Assert.NotEmpty(commands);
        var unaudited = commands.Where(t => !typeof(IAuditedCommand).IsAssignableFrom(t)).Select(t => t.Name).ToList();
        Assert.True(unaudited.Count == 0, "Commands without an audit event type: " + string.Join(", ", unaudited));
    }

    [Theory]
    [InlineData(AuditEventType.AppCreated, "app.created")]
    [InlineData(AuditEventType.AppAccessGranted, "appAccess.granted")]
    [InlineData(AuditEventType.ServiceAccountKeyDeleted, "serviceAccountKey.deleted")]
    [InlineData(AuditEventType.KeyDisabled, "key.disabled")]
    [InlineData(AuditEventType.TenantUserAdded, "tenantUser.added")]
    public void WireNames_AreTheResourceDotTheVerb(AuditEventType type, string wire)
    {
        Assert.Equal(wire, type.WireName());
        Assert.True(AuditEventTypes.TryParse(wire, out var parsed));
        Assert.Equal(type, parsed);
    }

    [Fact]
    public void EveryType_HasAUniqueWireNameAndADescription()
    {
        Assert.Equal(AuditEventTypes.All.Count, AuditEventTypes.All.Select(t => t.WireName()).Distinct().Count());
        Assert.All(AuditEventTypes.All, t => Assert.False(string.IsNullOrWhiteSpace(t.Describe()), t.ToString()));
    }
}
