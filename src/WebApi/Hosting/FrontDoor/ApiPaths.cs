namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>The API's own paths, <c>/v2/…</c> and <c>/v1.1/…</c>: not the probes, the OpenAPI document or the reference page.</summary>
public static class ApiPaths
{
    public static bool Contain(PathString path) => path.StartsWithSegments("/v2") || path.StartsWithSegments("/v1.1");
}
