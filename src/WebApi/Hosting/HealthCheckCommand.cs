namespace Provisioning.WebApi.Hosting;

/// <summary>
/// <c>Provisioning.WebApi healthcheck [url]</c>: exits 0 when <c>/readyz</c> answers 200. For container
/// health checks, so the runtime image needs no curl.
/// </summary>
public static class HealthCheckCommand
{
    public static async Task<int> ProbeAsync(string url)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(url);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return 1;
        }
    }
}
