using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Security;

/// <summary>Gives handlers the current caller.</summary>
public interface ICallerContext
{
    /// <summary>The authenticated caller; throws <see cref="Exceptions.UnauthorizedException"/> when there is none.</summary>
    Caller Caller { get; }

    /// <summary>The authenticated caller, or null: no credential (start-up, an operator verb, a background task).</summary>
    Caller? Current { get; }

    /// <summary>The id of the request being served (<c>X-Request-Id</c>), when there is one.</summary>
    string? RequestId { get; }
}
