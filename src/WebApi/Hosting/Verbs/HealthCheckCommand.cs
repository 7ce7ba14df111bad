namespace Provisioning.WebApi.Hosting.Verbs;

/// <summary>
/// <c>Provisioning.WebApi healthcheck [url]</c>: exits 0 when <c>/readyz</c> answers 200. For container
/// health checks, so the runtime image needs no curl. A failure says why in one line on standard error (the container
/// runtime keeps it with the check's result).
/// </summary>
public static class HealthCheckCommand
{
    public static async Task<int> ProbeAsync(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine($"Provisioning: '{url}' is not an absolute http(s) URL (e.g. http://127.0.0.1:8080/readyz).");
            return 1;
        }

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(uri);
            if (response.IsSuccessStatusCode)
            {
                return 0;
            }

            Console.Error.WriteLine($"Provisioning: {uri} answered {(int)response.StatusCode} (not ready).");
            return 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"Provisioning: {uri} could not be reached: {(ex is TaskCanceledException ? "no answer within 3 s" : ex.Message.TrimEnd('.'))}.");
            return 1;
        }
    }
}
