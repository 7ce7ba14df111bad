using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccount;
using Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccountKey;
using Provisioning.Application.ServiceAccounts.Commands.DeleteServiceAccount;
using Provisioning.Application.ServiceAccounts.Commands.DeleteServiceAccountKey;
using Provisioning.Application.ServiceAccounts.Commands.GrantAppAccess;
using Provisioning.Application.ServiceAccounts.Commands.RevokeAppAccess;
using Provisioning.Application.ServiceAccounts.Commands.SetServiceAccountKeyDisabled;
using Provisioning.Application.ServiceAccounts.Commands.UpdateServiceAccount;
using Provisioning.Application.ServiceAccounts.Queries.GetServiceAccount;
using Provisioning.Application.ServiceAccounts.Queries.GetServiceAccountKey;
using Provisioning.Application.ServiceAccounts.Queries.IssueServiceAccountKeyJwt;
using Provisioning.Application.ServiceAccounts.Queries.ListServiceAccountApps;
using Provisioning.Application.ServiceAccounts.Queries.ListServiceAccountKeys;
using Provisioning.Application.ServiceAccounts.Queries.ListServiceAccounts;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Errors;

namespace Provisioning.WebApi.Controllers.V2;

/// <summary>Service accounts: API consumers that reach only the apps they created or were granted. Account keys only.</summary>
[ApiController]
[Route("v2/serviceaccounts")]
[Produces("application/json")]
[Tags("Service accounts")]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status401Unauthorized)]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status403Forbidden)]
public sealed class ServiceAccountsController(ISender sender) : ControllerBase
{
    /// <summary>Creates a service account.</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Body <c>{"displayName"}</c>: 1–100 characters (else 400 naming <c>displayName</c>) and unique in the tenant, in any case and any Unicode form of the same text (409
    /// <c>conflict</c>).
    /// Answers 201 <c>{"serviceAccount":{id, displayName, createdAt}}</c>; give it keys with <c>POST
    /// /v2/serviceaccounts/{serviceAccountId}/keys</c> and apps with a grant.
    /// </remarks>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body"><c>{"displayName"}</c>, unique in the tenant.</param>
    /// <response code="409">Another service account of the tenant has this name.</response>
    [HttpPost(Name = "CreateServiceAccount")]
    [Consumes("application/json")]
    [ProducesResponseType<ServiceAccountResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<IActionResult> CreateServiceAccount([FromBody] DisplayNameRequest body, CancellationToken ct)
    {
        var account = await sender.Send(new CreateServiceAccountCommand(body.DisplayName), ct);
        return this.CreatedAt(account.Id, new ServiceAccountResponse(account));
    }

    /// <summary>Lists the tenant's service accounts.</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Cursor paging, oldest first: <c>page[size]</c> 1–100 (default 25) and at most one of <c>page[after]</c> / <c>page[before]</c> (a
    /// record id); a bad value is 400 naming the parameter. The answer's <c>meta</c> has <c>hasMore</c>, <c>afterCursor</c> and
    /// <c>beforeCursor</c>, and <c>links.next</c> / <c>links.prev</c> are ready-made URLs.
    /// </remarks>
    [HttpGet(Name = "ListServiceAccounts")]
    [ProducesResponseType<ServiceAccountListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<ServiceAccountListResponse> ListServiceAccounts([FromQuery(Name = "")] PageQuery page, CancellationToken ct)
    {
        var request = page.ToRequest();
        var result = await sender.Send(new ListServiceAccountsQuery(request), ct);
        var (meta, links) = PageLinksBuilder.Build(Request, result, request);
        return new ServiceAccountListResponse(result.Items, meta, links);
    }

    /// <summary>Gets a service account.</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Answers <c>id</c>, <c>displayName</c> and <c>createdAt</c>.
    /// A service account of another tenant is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{serviceAccountId}", Name = "GetServiceAccount")]
    [ProducesResponseType<ServiceAccountResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<ServiceAccountResponse> GetServiceAccount(string serviceAccountId, CancellationToken ct) =>
        new(await sender.Send(new GetServiceAccountQuery(serviceAccountId), ct));

    /// <summary>Renames a service account.</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Body <c>{"displayName"}</c> (required, 1–100 characters, else 400); a name another service account of the tenant has, in any case or Unicode form,
    /// is 409 <c>conflict</c>.
    /// A service account of another tenant is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body"><c>{"displayName"}</c>: the new name.</param>
    [HttpPatch("{serviceAccountId}", Name = "UpdateServiceAccount")]
    [Consumes("application/json")]
    [ProducesResponseType<ServiceAccountResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<ServiceAccountResponse> UpdateServiceAccount(string serviceAccountId, [FromBody] DisplayNameRequest body, CancellationToken ct) =>
        new(await sender.Send(new UpdateServiceAccountCommand(serviceAccountId, body.DisplayName), ct));

    /// <summary>Deletes a service account.</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Its keys and app grants go with it and its keys get 401 from the next request on; the apps stay in the tenant. Answers <c>{}</c>.
    /// A service account of another tenant is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpDelete("{serviceAccountId}", Name = "DeleteServiceAccount")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> DeleteServiceAccount(string serviceAccountId, CancellationToken ct)
    {
        await sender.Send(new DeleteServiceAccountCommand(serviceAccountId), ct);
        return new EmptyResponse();
    }

    /// <summary>Creates a service-account key (<c>svc_</c>).</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Body <c>{"displayName", "expiresAt"?}</c> (<c>CreateKeyRequest</c>: a missing or blank name is 400 naming <c>displayName</c>; without <c>expiresAt</c> the key never expires); a service account has at most 10 keys (400).
    /// Answers 201 with the key and its <c>secret</c>; the key reaches only the apps this service account can access.
    /// A service account of another tenant is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body"><c>{"displayName"}</c>: a label for the key.</param>
    [HttpPost("{serviceAccountId}/keys", Name = "CreateServiceAccountKey")]
    [Consumes("application/json")]
    [ProducesResponseType<KeyResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<IActionResult> CreateServiceAccountKey(string serviceAccountId, [FromBody] CreateKeyRequest body, CancellationToken ct)
    {
        var key = await sender.Send(new CreateServiceAccountKeyCommand(serviceAccountId, body.DisplayName, body.ExpiresAt), ct);
        return this.CreatedAt(key.Id, new KeyResponse(key));
    }

    /// <summary>Lists a service account's keys.</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// All keys of the service account (at most 10), oldest first, not paged, each with its <c>secret</c>, as Sunshine Conversations shows
    /// them.
    /// A service account of another tenant is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{serviceAccountId}/keys", Name = "ListServiceAccountKeys")]
    [ProducesResponseType<KeyListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<KeyListResponse> ListServiceAccountKeys(string serviceAccountId, CancellationToken ct) =>
        new(await sender.Send(new ListServiceAccountKeysQuery(serviceAccountId), ct));

    /// <summary>Gets one service-account key.</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Answers <c>id</c>, <c>displayName</c>, <c>secret</c>, <c>createdAt</c>, <c>lastUsedAt</c>, <c>disabled</c> and <c>expiresAt</c> (the secret is shown on get and list
    /// too, like Sunshine Conversations).
    /// A service account or key that is not visible is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="keyId">The service-account key id (<c>svc_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{serviceAccountId}/keys/{keyId}", Name = "GetServiceAccountKey")]
    [ProducesResponseType<KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<KeyResponse> GetServiceAccountKey(string serviceAccountId, string keyId, CancellationToken ct) =>
        new(await sender.Send(new GetServiceAccountKeyQuery(serviceAccountId, keyId), ct));

    /// <summary>Deletes a service-account key.</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// The key, its Basic credential and every JWT signed with it get 401 from the next request on; answers <c>{}</c>.
    /// A service account or key that is not visible is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="keyId">The service-account key id (<c>svc_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpDelete("{serviceAccountId}/keys/{keyId}", Name = "DeleteServiceAccountKey")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> DeleteServiceAccountKey(string serviceAccountId, string keyId, CancellationToken ct)
    {
        await sender.Send(new DeleteServiceAccountKeyCommand(serviceAccountId, keyId), ct);
        return new EmptyResponse();
    }

    /// <summary>Issues a JWT signed with a service-account key.</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Answers <c>{"jwt":"…"}</c>: HS256, header <c>kid</c> = the key id, claims <c>scope</c> = <c>account</c>, <c>iat</c> and <c>exp</c>
    /// (lifetime <c>Provisioning:Jwt:Lifetime</c>, default one hour). Send it as <c>Authorization: Bearer</c>.
    /// Deleting the key makes its JWTs fail at once. A service account or key that is not visible is 404; a disabled or
    /// expired key is 409 (a token for it would be refused at once).
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="keyId">The service-account key id (<c>svc_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{serviceAccountId}/keys/{keyId}/jwt", Name = "IssueServiceAccountKeyJwt")]
    [ProducesResponseType<JwtResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<JwtResponse> IssueServiceAccountKeyJwt(string serviceAccountId, string keyId, CancellationToken ct) =>
        new((await sender.Send(new IssueServiceAccountKeyJwtQuery(serviceAccountId, keyId), ct)).Jwt);

    /// <summary>Lists the apps a service account can access.</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// The apps it created or was granted. Cursor paging, oldest first: <c>page[size]</c> 1–100 (default 25) and at most one of
    /// <c>page[after]</c> / <c>page[before]</c> (a record id); a bad value is 400 naming the parameter. The answer's <c>meta</c> has
    /// <c>hasMore</c>, <c>afterCursor</c> and <c>beforeCursor</c>, and <c>links.next</c> / <c>links.prev</c> are ready-made URLs.
    /// A service account of another tenant is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="page"><c>page[size]</c>, <c>page[after]</c>, <c>page[before]</c>.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{serviceAccountId}/apps", Name = "ListServiceAccountApps")]
    [ProducesResponseType<AppListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<AppListResponse> ListServiceAccountApps(string serviceAccountId, [FromQuery(Name = "")] PageQuery page, CancellationToken ct)
    {
        var request = page.ToRequest();
        var result = await sender.Send(new ListServiceAccountAppsQuery(serviceAccountId, request), ct);
        var (meta, links) = PageLinksBuilder.Build(Request, result, request);
        return new AppListResponse(result.Items, meta, links);
    }

    /// <summary>Grants a service account access to an app.</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// No body. Both must belong to the tenant: an unknown service account is 404 <c>not_found</c>, an unknown app 404
    /// <c>app_not_found</c>.
    /// Granting again is fine and changes nothing. Answers <c>{}</c>.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpPut("{serviceAccountId}/apps/{appId}", Name = "GrantAppAccess")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> GrantAppAccess(string serviceAccountId, string appId, CancellationToken ct)
    {
        await sender.Send(new GrantAppAccessCommand(serviceAccountId, appId), ct);
        return new EmptyResponse();
    }

    /// <summary>Revokes a service account's access to an app.</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// The app stays; the service account's keys no longer reach it from the next request on. Answers <c>{}</c>.
    /// An unknown service account or a grant that does not exist is 404 <c>not_found</c>, an unknown app 404 <c>app_not_found</c>.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpDelete("{serviceAccountId}/apps/{appId}", Name = "RevokeAppAccess")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> RevokeAppAccess(string serviceAccountId, string appId, CancellationToken ct)
    {
        await sender.Send(new RevokeAppAccessCommand(serviceAccountId, appId), ct);
        return new EmptyResponse();
    }

    /// <summary>Disables or enables a service-account key.</summary>
    /// <remarks>
    /// Account credentials only. Body <c>{"disabled": true|false}</c>. A disabled key answers 401, with every JWT signed
    /// with it or issued for it, on every instance from the next request; enabling it restores it exactly.
    /// </remarks>
    /// <param name="serviceAccountId">The service account's id.</param>
    /// <param name="keyId">The key id (<c>svc_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <param name="body">The new state.</param>
    [HttpPatch("{serviceAccountId}/keys/{keyId}", Name = "SetServiceAccountKeyDisabled")]
    [Consumes("application/json")]
    [ProducesResponseType<KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<KeyResponse> SetServiceAccountKeyDisabled(string serviceAccountId, string keyId, [FromBody] KeyStateRequest body, CancellationToken ct) =>
        new(await sender.Send(new SetServiceAccountKeyDisabledCommand(serviceAccountId, keyId, body.Required()), ct));
}
