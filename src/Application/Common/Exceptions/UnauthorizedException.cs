using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>Credentials are missing or not valid: 401.</summary>
public sealed class UnauthorizedException(string message = UnauthorizedException.Credentials) : ExpectedException("unauthorized", 401, message)
{
    /// <summary>
    /// The text of a 401 for credentials: it says nothing about why (a wrong secret, a key gone, disabled or expired).
    /// (Provisioning's refusal of its body's provisioning key has texts of its own: the caller has authenticated, and the key
    /// it sent is a field of the request.)
    /// </summary>
    public const string Credentials = "Missing or invalid credentials.";
}
