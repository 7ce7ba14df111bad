using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>
/// The resource does not exist or the caller may not see it: 404. Both look the same. Apps say <c>app_not_found</c>, as
/// Sunshine does. Thrown by a change, it makes the unit of work ask the database whether the caller's key still stands
/// (what went meanwhile may have taken it along): 401 or 403 then, as authentication would answer now.
/// </summary>
public sealed class NotFoundException(string resource)
    : ExpectedException(resource == "App" ? "app_not_found" : "not_found", 404, $"{resource} not found.")
{
    public string Resource { get; } = resource;

    public static NotFoundException App() => new("App");
}
