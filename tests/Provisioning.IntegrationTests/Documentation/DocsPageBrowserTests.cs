using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Documentation;

/// <summary>
/// <c>/docs</c> as a person sees it: Debian's Chromium, headless, renders the page (its script builds the reference from
/// the OpenAPI document) and the test reads what ends up on the page. Chromium must be installed (.ci/run installs it).
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class DocsPageBrowserTests(ServiceFixture service)
{
    [Fact]
    public async Task TheDocsPage_ShowsTheApiWithOperationSummariesAndDescriptions()
    {
        var text = await RenderAsync(new Uri(service.BaseAddress, "/docs"));

        Assert.Contains("Provisioning API", text);
        // Every tag of the API in the navigation.
        foreach (var tag in new[] { "Account keys", "App keys", "Apps", "Provisioning keys", "Service accounts", "Tenants", "v1.1 Apps", "v1.1 Service accounts" })
        {
            Assert.Contains(tag, text);
        }

        // The first group is open: its operations' summaries and descriptions, from the controllers' XML comments.
        Assert.Contains("Creates an account key", text);
        Assert.Contains("Lists the tenant's account keys", text);
        Assert.Contains("The 201 answer is the only one that carries the key", text);
        // The headers the service reads, and the server it is reached at.
        Assert.Contains("On-Behalf-Of", text);
        Assert.Contains("printable ASCII characters", text);
        Assert.Contains(service.BaseAddress.ToString().TrimEnd('/'), text);

        // A self-hosted page: no vendor toolbar (it offered "Generate SDK" and an "Ask AI" that uploads the document).
        foreach (var vendor in new[] { "Generate SDK", "Ask AI", "Deploy" })
        {
            Assert.DoesNotContain(vendor, text);
        }

        var dom = await File.ReadAllTextAsync(Path.Combine(Path.GetTempPath(), "provisioning-docs-dom.html"));
        Assert.DoesNotContain("fonts.scalar.com", dom);
        // Nor its "Open API Client" button, a link that handed the vendor's web app this document's address (a probe).
        Assert.DoesNotContain("client.scalar.com", dom);
    }

    /// <summary>The page's visible text after its scripts ran: markup, scripts and styles removed, white space folded.</summary>
    private static async Task<string> RenderAsync(Uri url)
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Chromium is needed for the browser tests: apt-get install -y chromium (.ci/run does).");
        var profile = Directory.CreateTempSubdirectory("provisioning-chromium-").FullName;
        try
        {
            var info = new ProcessStartInfo(chromium)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
                     {
                         "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         "--user-data-dir=" + profile, "--window-size=1400,4000", "--virtual-time-budget=20000", "--dump-dom", url.ToString(),
                     })
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await process.WaitForExitAsync(timeout.Token);
            var dom = await stdout;
            Assert.True(process.ExitCode == 0 && dom.Length > 0, $"chromium exited with {process.ExitCode}: {await stderr}");
            // Kept for a look when an assertion fails.
            await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "provisioning-docs-dom.html"), dom);
            var visible = Regex.Replace(dom, "<(script|style)[^>]*>.*?</\\1>", " ", RegexOptions.Singleline | RegexOptions.IgnoreCase);
            visible = Regex.Replace(visible, "<[^>]+>", " ");
            return Regex.Replace(WebUtility.HtmlDecode(visible), @"\s+", " ");
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }
}
