using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Security;

/// <summary>Gives handlers the current caller.</summary>
public interface ICallerContext
{
    /// <summary>The authenticated caller; throws <see cref="Exceptions.UnauthorizedException"/> when there is none.</summary>
    Caller Caller { get; }

    /// <summary>
    /// The authenticated caller, or null: no credential (start-up, an operator verb, a hosted service). It follows the
    /// request's execution context (<c>IHttpContextAccessor</c>), so work a request starts and lets run on
    /// (<c>Task.Run</c>, a timer) would still see that request's caller: start such work with
    /// <c>ExecutionContext.SuppressFlow()</c>, or it runs as the caller (the unit of work checks that caller's key).
    /// </summary>
    Caller? Current { get; }

    /// <summary>The id of the request being served (<c>X-Request-Id</c>), when there is one.</summary>
    string? RequestId { get; }
}
