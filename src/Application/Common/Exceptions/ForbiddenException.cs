using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>The caller is authenticated but may not do this: 403.</summary>
public sealed class ForbiddenException(string message) : ExpectedException("forbidden", 403, message)
{
    /// <summary>The 403 of a credential whose kind may not use the route (also the generic 403's text).</summary>
    public const string NotAllowed = "This credential is not allowed to do that.";
}
