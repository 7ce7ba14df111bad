using Provisioning.WebApi.Errors;

namespace Provisioning.UnitTests.Documentation;

/// <summary>
/// Every code the service gives a status that carries no more specific error (<see cref="ErrorEnvelope.ForStatus"/>: the
/// server's own refusals, the rate limiter, the front door) has its row in docs/errors.md, so that a client meeting one can
/// look it up; and the envelope names no status the server never answers (two did: 406 and 411, which Kestrel no longer
/// gives — an HTTP/1.0 body without a length is its 400).
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
}
