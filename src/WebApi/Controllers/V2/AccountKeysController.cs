using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.AccountKeys.Commands.CreateAccountKey;
using Provisioning.Application.AccountKeys.Commands.DeleteAccountKey;
using Provisioning.Application.AccountKeys.Commands.SetAccountKeyDisabled;
using Provisioning.Application.AccountKeys.Queries.GetAccountKey;
using Provisioning.Application.AccountKeys.Queries.ListAccountKeys;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Errors;

namespace Provisioning.WebApi.Controllers.V2;

/// <summary>The tenant's own account keys (<c>act_</c>). Secrets appear only when a key is created.</summary>
[ApiController]
[Route("v2/keys")]
[Produces("application/json")]
[Tags("Account keys")]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status401Unauthorized)]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status403Forbidden)]
public sealed class AccountKeysController(ISender sender) : ControllerBase
{
    /// <summary>Creates an account key (<c>act_</c>) for the tenant.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may
    /// send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Body <c>{"displayName", "expiresAt"?}</c> (<c>CreateKeyRequest</c>: a missing or blank name is 400 naming <c>displayName</c>; without <c>expiresAt</c> the key never expires).
    /// The 201 answer is the only one that carries the key's <c>secret</c>: store it now, it cannot be read again.
    /// </remarks>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body"><c>{"displayName"}</c>: a label for the key.</param>
    /// <response code="201">The new key, with its secret (shown only here).</response>
    [HttpPost(Name = "CreateAccountKey")]
    [Consumes("application/json")]
    [ProducesResponseType<KeyResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<IActionResult> CreateAccountKey([FromBody] CreateKeyRequest body, CancellationToken ct)
    {
        var key = await sender.Send(new CreateAccountKeyCommand(body.DisplayName, body.ExpiresAt), ct);
        return this.CreatedAt(key.Id, new KeyResponse(key));
    }

    /// <summary>Lists the tenant's account keys.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may
    /// send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// The tenant's <c>act_</c> keys, never with a secret. Cursor paging, oldest first: <c>page[size]</c> 1–100 (default 25) and at
    /// most one of <c>page[after]</c> / <c>page[before]</c> (an <c>act_</c> key id); a bad value is 400 naming the parameter. The
    /// answer's <c>meta</c> has <c>hasMore</c>, <c>afterCursor</c> and <c>beforeCursor</c>, and <c>links.next</c> / <c>links.prev</c>
    /// are ready-made URLs.
    /// The token handed out when the tenant was provisioned is an account key too and is listed (display name "Provisioning token").
    /// </remarks>
    /// <param name="page"><c>page[size]</c>, <c>page[after]</c>, <c>page[before]</c>.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet(Name = "ListAccountKeys")]
    [ProducesResponseType<AccountKeyListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<AccountKeyListResponse> ListAccountKeys([FromQuery(Name = "")] PageQuery page, CancellationToken ct)
    {
        var request = page.ToRequest();
        var result = await sender.Send(new ListAccountKeysQuery(request), ct);
        var (meta, links) = PageLinksBuilder.Build(Request, result, request);
        return new AccountKeyListResponse(result.Items, meta, links);
    }

    /// <summary>Gets one account key.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may
    /// send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Answers <c>id</c>, <c>displayName</c>, <c>createdAt</c>, <c>lastUsedAt</c>, <c>disabled</c> and <c>expiresAt</c>; never the secret.
    /// A key of another tenant, of another kind or a malformed id is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="keyId">The account key id (<c>act_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{keyId}", Name = "GetAccountKey")]
    [ProducesResponseType<KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<KeyResponse> GetAccountKey(string keyId, CancellationToken ct) =>
        new(await sender.Send(new GetAccountKeyQuery(keyId), ct));

    /// <summary>Deletes an account key.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may
    /// send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// The key, its Basic credential and every JWT signed with it get 401 from the next request on; answers <c>{}</c>.
    /// Deleting a working key (enabled, not expired) is 409 <c>conflict</c> unless another works and expires no sooner, or never (the
    /// provisioning token counts): a tenant cannot lock itself out, now or when a key expires. Create another first.
    /// A key that is not visible is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="keyId">The account key id (<c>act_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="409">No other working key of the tenant lasts as long as this one.</response>
    [HttpDelete("{keyId}", Name = "DeleteAccountKey")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<EmptyResponse> DeleteAccountKey(string keyId, CancellationToken ct)
    {
        await sender.Send(new DeleteAccountKeyCommand(keyId), ct);
        return new EmptyResponse();
    }

    /// <summary>Disables or enables an account key.</summary>
    /// <remarks>
    /// Account credentials only. Body <c>{"disabled": true}</c> or <c>{"disabled": false}</c>. A disabled key answers 401,
    /// with its JWTs, on every instance from the next request; enabling it restores it exactly. A working key cannot be disabled (409)
    /// unless another works and expires no sooner, or never.
    /// </remarks>
    /// <param name="keyId">The account key id (<c>act_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <param name="body">The new state.</param>
    [HttpPatch("{keyId}", Name = "SetAccountKeyDisabled")]
    [Consumes("application/json")]
    [ProducesResponseType<KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<KeyResponse> SetAccountKeyDisabled(string keyId, [FromBody] KeyStateRequest body, CancellationToken ct) =>
        new(await sender.Send(new SetAccountKeyDisabledCommand(keyId, body.Required()), ct));
}
