using System.Security.Claims;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Credentials;

namespace Provisioning.WebApi.Authentication;

/// <summary>The claims an authenticated request carries, whichever way it authenticated.</summary>
public static class CredentialClaims
{
    public const string KeyId = "key_id";
    public const string Kind = "key_kind";
    public const string TenantId = "tenant_id";

    /// <summary>The customer (the root's child above the key's tenant, or the root): <see cref="Credential.CustomerTenantId"/>.</summary>
    public const string CustomerTenantId = "customer_tenant_id";
    public const string ServiceAccountId = "service_account_id";
    public const string AppId = "app_id";

    /// <summary>Present ("true") when the credential is a tenant token rather than an <c>act_</c> key.</summary>
    public const string TenantToken = "tenant_token";

    public static ClaimsPrincipal ToPrincipal(Credential credential, string scheme)
    {
        List<Claim> claims =
        [
            new(KeyId, credential.KeyId.Value),
            new(Kind, ToCallerKind(credential.Kind).ToString()),
            new(TenantId, credential.TenantId.Value),
        ];
        if (credential.CustomerTenantId is { } customer)
        {
            claims.Add(new Claim(CustomerTenantId, customer.Value));
        }

        if (credential.ServiceAccountId is { } sa)
        {
            claims.Add(new Claim(ServiceAccountId, sa.Value));
        }

        if (credential.IsTenantToken)
        {
            claims.Add(new Claim(TenantToken, "true"));
        }

        if (credential.AppId is { } app)
        {
            claims.Add(new Claim(AppId, app.Value));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, KeyId, Kind));
    }

    public static CallerKinds ToCallerKind(KeyKind kind) => kind switch
    {
        KeyKind.Account => CallerKinds.Account,
        KeyKind.ServiceAccount => CallerKinds.ServiceAccount,
        KeyKind.App => CallerKinds.App,
        _ => CallerKinds.None,
    };
}
