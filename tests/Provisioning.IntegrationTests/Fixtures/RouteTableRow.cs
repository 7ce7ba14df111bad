namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>One route of a permission matrix as docs/authentication.md shows it.</summary>
public sealed record RouteTableRow(string Method, string Path, string Account, string ServiceAccount, string AppKey)
{
    /// <summary>What a credential kind gets, from the matrix's statuses for a resource it owns and one it does not.</summary>
    public static string Describe(int own, int other, string whenBoth, string whenOwnOnly) => (own, other) switch
    {
        (< 300, < 300) => whenBoth,
        (< 300, 404) => whenOwnOnly,
        (403, _) => "403",
        (404, 404) => "404",
        _ => $"{own} / {other}",
    };

    /// <summary>The route with the matrices' placeholders named as the API reference names them.</summary>
    public string DocumentedPath => Path
        .Replace("{app}", "{appId}").Replace("{appKey}", "{keyId}").Replace("{svcKey}", "{keyId}").Replace("{otherSvcKey}", "{keyId}")
        .Replace("{actKey}", "{keyId}").Replace("{otherSa}", "{serviceAccountId}").Replace("{sa}", "{serviceAccountId}")
        .Replace("{child}", "{tenantId}").Replace("{prv}", "{provisioningKeyId}").Replace("owner@example.com", "{email}").Replace("owner%40example.com", "{email}");

    public string ToMarkdown() => $"| `{Method} {DocumentedPath}` | {Account} | {ServiceAccount} | {AppKey} |";
}
