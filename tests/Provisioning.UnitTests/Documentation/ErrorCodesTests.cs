using System.Reflection;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Domain.Common;
using Provisioning.Infrastructure.Security;
using Provisioning.WebApi.Errors;

namespace Provisioning.UnitTests.Documentation;

/// <summary>
/// Every code the service gives a status that carries no more specific error (<see cref="ErrorEnvelope.ForStatus"/>: the
/// server's own refusals, the rate limiter, the front door) has its row in docs/errors.md, so that a client meeting one can
/// look it up; and the envelope names no status the server never answers (two did: 406 and 411, which Kestrel no longer
/// gives — an HTTP/1.0 body without a length is its 400). The same for every refusal the code throws
/// (<see cref="ExpectedException"/>: its status and code, as the error mapper answers them).
/// </summary>
public sealed class ErrorCodesTests
{
    [Fact]
    public void EveryCodeForAStatus_HasItsRowInErrorsMd()
    {
        var rows = File.ReadAllLines(Path.Combine(Repository.Root, "docs", "errors.md")).Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToList();
        var codes = Enumerable.Range(400, 200)
            .Select(status => (Status: status, ErrorEnvelope.ForStatus(status).Code))
            .GroupBy(s => s.Code, s => s.Status)
            .Select(g => (Status: g.Min(), Code: g.Key))
            .ToList();
        Assert.Contains(codes, c => c == (429, "too_many_requests"));

        var missing = codes.Where(c => !rows.Any(r => r.StartsWith($"| {c.Status} | `{c.Code}` |", StringComparison.Ordinal)))
            .Select(c => $"{c.Status} {c.Code}").ToList();
        Assert.True(missing.Count == 0, "docs/errors.md has no row for: " + string.Join(", ", missing));
    }

    /// <summary>
    /// Refusals that never reach a client: <c>rotate-secrets</c>, an operator verb, prints its message and exits 1
    /// (docs/operations.md "Rotate the master key").
    /// </summary>
    private static readonly Type[] OperatorOnly = [typeof(SecretRotationIncompleteException)];

    [Fact]
    public void EveryRefusalsCode_HasItsRowInErrorsMd()
    {
        var rows = File.ReadAllLines(Path.Combine(Repository.Root, "docs", "errors.md")).Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToList();
        Assembly[] service = [typeof(ExpectedException).Assembly, typeof(NotFoundException).Assembly,
            typeof(SecretRotationIncompleteException).Assembly, typeof(ErrorEnvelope).Assembly];
        var refusals = service.SelectMany(a => a.GetTypes())
            .Where(t => t.IsSubclassOf(typeof(ExpectedException)) && !t.IsAbstract && !OperatorOnly.Contains(t))
            .ToList();
        Assert.Contains(typeof(NotFoundException), refusals);
        Assert.Contains(typeof(Provisioning.Infrastructure.Credentials.CredentialLookupsBusyException), refusals);

        var made = refusals.SelectMany(Instances).ToList();
        Assert.Contains(made, e => (e.Status, e.Code) == (404, "app_not_found"));
        Assert.All(refusals, t => Assert.Contains(made, e => e.GetType() == t)); // each made at least once

        var missing = made.Select(e => $"| {e.Status} | `{e.Code}` |").Distinct()
            .Where(row => !rows.Any(r => r.StartsWith(row, StringComparison.Ordinal))).ToList();
        Assert.True(missing.Count == 0, "docs/errors.md has no row for: " + string.Join(", ", missing));
    }

    /// <summary>Every way a refusal can be made (its constructors, and its static factories), each called with made-up arguments.</summary>
    private static IEnumerable<ExpectedException> Instances(Type type) =>
        type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Cast<MethodBase>()
            .Concat(type.GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.ReturnType == type))
            .Select(m => (ExpectedException)(m is ConstructorInfo c
                ? c.Invoke(Arguments(c))
                : m.Invoke(null, Arguments(m))!));

    private static object?[] Arguments(MethodBase method) => method.GetParameters().Select(object? (p) =>
        p.HasDefaultValue ? p.DefaultValue
        : p.ParameterType == typeof(string) ? "x"
        : p.ParameterType == typeof(int) ? 1
        : p.ParameterType == typeof(bool) ? false
        : p.ParameterType == typeof(IReadOnlyList<FieldError>) ? new[] { new FieldError("x", "x") }
        : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType)
        : null).ToArray();
}
