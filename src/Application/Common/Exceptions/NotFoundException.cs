using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>The resource does not exist or the caller may not see it: 404. Both look the same. Apps say <c>app_not_found</c>, as Sunshine does.</summary>
public sealed class NotFoundException(string resource)
    : ExpectedException(resource == "App" ? "app_not_found" : "not_found", 404, $"{resource} not found.")
{
    public string Resource { get; } = resource;

    /// <summary>
    /// Found at first, gone by the time this request wrote (deleted by another request meanwhile), rather than never
    /// there. What went may have taken the caller's own key with it (the service account or app it belongs to): the
    /// unit of work then asks again whether the caller may act, and answers as authentication would now (401).
    /// </summary>
    public bool GoneMeanwhile { get; init; }

    public static NotFoundException App() => new("App");
}
