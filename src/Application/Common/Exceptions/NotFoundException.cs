using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>The resource does not exist or the caller may not see it: 404. Both look the same. Apps say <c>app_not_found</c>, as Sunshine does.</summary>
public sealed class NotFoundException(string resource)
    : ExpectedException(resource == "App" ? "app_not_found" : "not_found", 404, $"{resource} not found.")
{
    public string Resource { get; } = resource;

    public static NotFoundException App() => new("App");
}
