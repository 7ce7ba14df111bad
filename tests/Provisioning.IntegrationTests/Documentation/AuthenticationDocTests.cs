using Provisioning.IntegrationTests.Credentials;
using Provisioning.IntegrationTests.Fixtures;
using Provisioning.IntegrationTests.Tenants;

namespace Provisioning.IntegrationTests.Documentation;

/// <summary>
/// The route × credential table of docs/authentication.md is the permission matrices', which the suite runs against
/// the service: it cannot drift from what the code does. Set <c>PROVISIONING_UPDATE_DOCS=1</c> to rewrite it.
/// </summary>
public sealed class AuthenticationDocTests
{
    private const string Begin = "<!-- route-table: generated from the permission matrices by AuthenticationDocTests -->";
    private const string End = "<!-- /route-table -->";

    [Fact]
    public void TheDocumentedRouteTable_IsThePermissionMatrices()
    {
        var rows = PermissionMatrixTests.Rows().Concat(TenantPermissionMatrix.Rows())
            .OrderBy(r => r.DocumentedPath.StartsWith("/v1.1", StringComparison.Ordinal))
            .ThenBy(r => r.DocumentedPath, StringComparer.Ordinal)
            .ThenBy(r => r.Method, StringComparer.Ordinal)
            .Select(r => r.ToMarkdown());
        GeneratedDocSection.AssertCurrent(
            NodeProject.RepositoryPath("docs", "authentication.md"), Begin, End,
            rows.Prepend("|---|---|---|---|").Prepend("| Route | `act_` key or tenant token | `svc_` key | `app_` key |"),
            "The route table in docs/authentication.md differs from the permission matrices");
    }
}
