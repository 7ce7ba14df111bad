using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.WebApi.Authentication;

/// <summary>
/// <c>On-Behalf-Of: &lt;tenant id&gt;</c>: an account caller acts inside one of its descendant tenants.
/// Any other id is 404, exactly as if it did not exist; other credential kinds get 403. The decision is the access
/// policy's (<see cref="CallerScope.IsSelfOrDescendantAsync"/>), asked through the Application's store port; the
/// store is resolved only when the header is sent. Read on the API's paths only: no other route acts in a tenant (the
/// OpenAPI document was refused with the header while it was not cached, and served with it once it was: a probe).
/// </summary>
public sealed class OnBehalfOfMiddleware(RequestDelegate next)
{
    public const string Header = "On-Behalf-Of";

    public async Task InvokeAsync(HttpContext context)
    {
        var values = context.Request.Headers[Header];
        if (Microsoft.Extensions.Primitives.StringValues.IsNullOrEmpty(values) || context.User.Identity?.IsAuthenticated != true
            || !ApiPaths.Contain(context.Request.Path))
        {
            await next(context);
            return;
        }

        // Sent twice, the two were read as one id joined by a comma: 404 "Tenant", even for the same id twice (a probe).
        // A header given twice is 400 as Idempotency-Key's is; so is one line listing two (HTTP reads both alike, and no
        // tenant id holds a comma).
        var value = values[0]!;
        if (values.Count > 1 || value.Contains(',', StringComparison.Ordinal))
        {
            throw new RequestValidationException(Header, $"{Header} must be one tenant id, sent once.");
        }

        if (context.User.FindFirst(CredentialClaims.Kind)?.Value != nameof(Application.Common.Security.CallerKinds.Account))
        {
            throw new ForbiddenException("Only account credentials may act on behalf of another tenant.");
        }

        var home = context.User.FindFirst(CredentialClaims.TenantId)!.Value;
        if (value == home)
        {
            await next(context);
            return;
        }

        var db = context.RequestServices.GetRequiredService<IProvisioningDbContext>();
        if (!await db.IsSelfOrDescendantAsync(new TenantId(home), value, context.RequestAborted))
        {
            // A retry of a request that ran there before the tenant went gets its stored answer, not this refusal.
            if (await Idempotency.IdempotencyMiddleware.TryReplayAsync(context))
            {
                return;
            }

            throw NotFoundException.Tenant();
        }

        context.Items[HttpCallerContext.ActingTenantItem] = new TenantId(value);
        RequestLogScope.NoteActingTenant(context, value);
        await next(context);
    }
}
