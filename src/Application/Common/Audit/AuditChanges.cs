namespace Provisioning.Application.Common.Audit;

/// <summary>The <c>changes</c> of an event: the wire names of the fields a request changed (never their values).</summary>
public static class AuditChanges
{
    public static IEnumerable<string> Of(params (string Field, bool Set)[] fields) =>
        fields.Where(f => f.Set).Select(f => f.Field);
}
