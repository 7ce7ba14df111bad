using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccount;
using Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccountKey;
using Provisioning.Application.ServiceAccounts.Commands.DeleteServiceAccount;
using Provisioning.Application.ServiceAccounts.Commands.DeleteServiceAccountKey;
using Provisioning.Application.ServiceAccounts.Commands.UpdateServiceAccount;
using Provisioning.Application.ServiceAccounts.Queries.GetServiceAccount;
using Provisioning.Application.ServiceAccounts.Queries.GetServiceAccountKey;
using Provisioning.Application.ServiceAccounts.Queries.IssueServiceAccountKeyJwt;
using Provisioning.Application.ServiceAccounts.Queries.ListServiceAccountKeys;
using Provisioning.Application.ServiceAccounts.Queries.ListServiceAccounts;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Contracts.V1;
using Provisioning.WebApi.Errors;

namespace Provisioning.WebApi.Controllers.V1;

/// <summary>Service accounts and their keys, Sunshine Conversations v1.1 shapes (smooch-core).</summary>
[ApiController]
[Route("v1.1/serviceaccounts")]
[Produces("application/json")]
[Tags("v1.1 Service accounts")]
[ProducesResponseType<V1ErrorResponse>(StatusCodes.Status401Unauthorized)]
[ProducesResponseType<V1ErrorResponse>(StatusCodes.Status403Forbidden)]
public sealed class V1ServiceAccountsController(ISender sender) : ControllerBase
{
    /// <summary>Creates a service account (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: body <c>{"name"}</c>, answer 201
    /// <c>{"serviceAccount":{"_id","name"}}</c>; errors are <c>{"error":{"code","description"}}</c>.
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// <c>name</c> 1–100 characters (400) and unique in the tenant, in any case and any Unicode form of the same text (409 <c>conflict</c>).
    /// </remarks>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body"><c>{"name"}</c>, unique in the tenant.</param>
    [HttpPost(Name = "V1CreateServiceAccount")]
    [Consumes("application/json")]
    [ProducesResponseType<V1ServiceAccountResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<IActionResult> V1CreateServiceAccount([FromBody] V1NameRequest body, CancellationToken ct)
    {
        var account = await sender.Send(new CreateServiceAccountCommand(body.Name), ct);
        return this.CreatedAt(account.Id, new V1ServiceAccountResponse(V1ServiceAccount.From(account)));
    }

    /// <summary>Lists the tenant's service accounts (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{"serviceAccounts":[…],"hasMore","offset"}</c>; errors
    /// are <c>{"error":{"code","description"}}</c>.
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Paged with <c>limit</c> (1–100, default 25) and <c>offset</c> (0 or more), oldest first; a bad value is 400 naming it.
    /// </remarks>
    [HttpGet(Name = "V1ListServiceAccounts")]
    [ProducesResponseType<V1ServiceAccountListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<V1ServiceAccountListResponse> V1ListServiceAccounts([FromQuery(Name = "")] V1PageQuery page, CancellationToken ct) =>
        V1ServiceAccountListResponse.From(await sender.Send(new ListServiceAccountsByOffsetQuery(page.ToRequest()), ct));

    /// <summary>Gets a service account (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{"serviceAccount":{"_id","name"}}</c>; errors are
    /// <c>{"error":{"code","description"}}</c>.
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// A service account of another tenant is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{serviceAccountId}", Name = "V1GetServiceAccount")]
    [ProducesResponseType<V1ServiceAccountResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1ServiceAccountResponse> V1GetServiceAccount(string serviceAccountId, CancellationToken ct) =>
        new(V1ServiceAccount.From(await sender.Send(new GetServiceAccountQuery(serviceAccountId), ct)));

    /// <summary>Renames a service account (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: body <c>{"name"}</c>, answer
    /// <c>{"serviceAccount":{"_id","name"}}</c>; errors are <c>{"error":{"code","description"}}</c>.
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// <c>name</c> is required (1–100 characters, else 400); a name another service account of the tenant has, in any case or Unicode form, is 409
    /// <c>conflict</c>. A service account of another tenant is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body"><c>{"name"}</c>: the new name.</param>
    [HttpPut("{serviceAccountId}", Name = "V1UpdateServiceAccount")]
    [Consumes("application/json")]
    [ProducesResponseType<V1ServiceAccountResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<V1ServiceAccountResponse> V1UpdateServiceAccount(string serviceAccountId, [FromBody] V1NameRequest body, CancellationToken ct) =>
        new(V1ServiceAccount.From(await sender.Send(new UpdateServiceAccountCommand(serviceAccountId, body.Name), ct)));

    /// <summary>Deletes a service account (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{}</c>; errors are
    /// <c>{"error":{"code","description"}}</c>.
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Its keys and grants go with it and its keys get 401 from the next request on; its apps stay. A service account of another tenant is
    /// 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpDelete("{serviceAccountId}", Name = "V1DeleteServiceAccount")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> V1DeleteServiceAccount(string serviceAccountId, CancellationToken ct)
    {
        await sender.Send(new DeleteServiceAccountCommand(serviceAccountId), ct);
        return new EmptyResponse();
    }

    /// <summary>Creates a service-account key (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: body <c>{"name"}</c>, answer 200 (not 201)
    /// <c>{"key":{"_id","name","secret","disabled","expiresAt"}}</c>; errors are <c>{"error":{"code","description"}}</c>.
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// <c>name</c> 1–100 characters; a service account has at most 10 keys (400). A service account of another tenant is 404, exactly as if
    /// it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body"><c>{"name"}</c>: a label for the key.</param>
    /// <response code="200">The new key, with its secret.</response>
    [HttpPost("{serviceAccountId}/keys", Name = "V1CreateServiceAccountKey")]
    [Consumes("application/json")]
    [ProducesResponseType<V1KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1KeyResponse> V1CreateServiceAccountKey(string serviceAccountId, [FromBody] V1CreateKeyRequest body, CancellationToken ct) =>
        new(V1Key.From(await sender.Send(new CreateServiceAccountKeyCommand(serviceAccountId, body.Name, body.ExpiresAt), ct)));

    /// <summary>Lists a service account's keys (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{"keys":[{"_id","name","secret","disabled","expiresAt"}]}</c>, oldest first,
    /// not paged, with secrets; errors are <c>{"error":{"code","description"}}</c>.
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// A service account of another tenant is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{serviceAccountId}/keys", Name = "V1ListServiceAccountKeys")]
    [ProducesResponseType<V1KeyListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1KeyListResponse> V1ListServiceAccountKeys(string serviceAccountId, CancellationToken ct) =>
        new([.. (await sender.Send(new ListServiceAccountKeysQuery(serviceAccountId), ct)).Select(V1Key.From)]);

    /// <summary>Gets one service-account key (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{"key":{"_id","name","secret","disabled","expiresAt"}}</c>, with the secret;
    /// errors are <c>{"error":{"code","description"}}</c>.
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// A service account or key that is not visible is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="keyId">The service-account key id (<c>svc_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{serviceAccountId}/keys/{keyId}", Name = "V1GetServiceAccountKey")]
    [ProducesResponseType<V1KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1KeyResponse> V1GetServiceAccountKey(string serviceAccountId, string keyId, CancellationToken ct) =>
        new(V1Key.From(await sender.Send(new GetServiceAccountKeyQuery(serviceAccountId, keyId), ct)));

    /// <summary>Deletes a service-account key (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{}</c>; errors are
    /// <c>{"error":{"code","description"}}</c>.
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// The key and its JWTs get 401 from the next request on. A service account or key that is not visible is 404.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="keyId">The service-account key id (<c>svc_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpDelete("{serviceAccountId}/keys/{keyId}", Name = "V1DeleteServiceAccountKey")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> V1DeleteServiceAccountKey(string serviceAccountId, string keyId, CancellationToken ct)
    {
        await sender.Send(new DeleteServiceAccountKeyCommand(serviceAccountId, keyId), ct);
        return new EmptyResponse();
    }

    /// <summary>Issues a JWT signed with a service-account key (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{"jwt":"…"}</c>; errors are
    /// <c>{"error":{"code","description"}}</c>.
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// HS256, header <c>kid</c> = the key id, claims <c>scope</c> = <c>account</c>, <c>iat</c> and <c>exp</c> (default lifetime one hour);
    /// deleting the key makes it fail at once.
    /// A service account or key that is not visible is 404.
    /// </remarks>
    /// <param name="serviceAccountId">The service account id (24 lowercase hex).</param>
    /// <param name="keyId">The service-account key id (<c>svc_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{serviceAccountId}/keys/{keyId}/jwt", Name = "V1IssueServiceAccountKeyJwt")]
    [ProducesResponseType<JwtResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<JwtResponse> V1IssueServiceAccountKeyJwt(string serviceAccountId, string keyId, CancellationToken ct) =>
        new((await sender.Send(new IssueServiceAccountKeyJwtQuery(serviceAccountId, keyId), ct)).Jwt);
}
