using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>Credentials are missing or not valid: 401.</summary>
public sealed class UnauthorizedException(string message = UnauthorizedException.Credentials) : ExpectedException("unauthorized", 401, message)
{
    /// <summary>The one text of a 401: it says nothing about why (a wrong secret, a key gone, disabled or expired).</summary>
    public const string Credentials = "Missing or invalid credentials.";
}
