using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.WebApi.Authentication;

/// <summary>
/// The caller of the current HTTP request, from its claims and, with On-Behalf-Of, the tenant it acts in. Built once per
/// request, at its first read after authentication: nothing may read it between authentication and
/// <see cref="OnBehalfOfMiddleware"/>, which settles the acting tenant (a read there would pin the home tenant for the
/// whole request). Nothing does: the middlewares in between read claims, not this.
/// </summary>
public sealed class HttpCallerContext(IHttpContextAccessor accessor) : ICallerContext
{
    public const string ActingTenantItem = "provisioning.acting-tenant";
    private Caller? _caller;

    public Caller Caller => Current ?? throw new UnauthorizedException();

    public Caller? Current => _caller ??= Build();

    public string? RequestId => accessor.HttpContext?.TraceIdentifier;

    private Caller? Build()
    {
        var http = accessor.HttpContext;
        var user = http?.User;
        if (user?.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var home = new TenantId(user.FindFirst(CredentialClaims.TenantId)!.Value);
        var acting = http!.Items[ActingTenantItem] is TenantId t ? t : home;
        var serviceAccount = user.FindFirst(CredentialClaims.ServiceAccountId)?.Value;
        var app = user.FindFirst(CredentialClaims.AppId)?.Value;
        return new Caller(
            new KeyId(user.FindFirst(CredentialClaims.KeyId)!.Value),
            Enum.Parse<CallerKinds>(user.FindFirst(CredentialClaims.Kind)!.Value),
            home,
            acting,
            serviceAccount is null ? null : new ServiceAccountId(serviceAccount),
            app is null ? null : new AppId(app),
            user.HasClaim(CredentialClaims.TenantToken, "true"));
    }
}
