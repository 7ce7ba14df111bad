using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.ProvisioningKeys.Commands.CreateProvisioningKey;
using Provisioning.Application.ProvisioningKeys.Commands.DeleteProvisioningKey;
using Provisioning.Application.ProvisioningKeys.Commands.SetProvisioningKeyDisabled;
using Provisioning.Application.ProvisioningKeys.Queries.GetProvisioningKey;
using Provisioning.Application.ProvisioningKeys.Queries.ListProvisioningKeys;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Errors;

namespace Provisioning.WebApi.Controllers.V2;

/// <summary>Provisioning keys: the separate secret that, with an account key, creates child tenants.</summary>
[ApiController]
[Route("v2/provisioningkeys")]
[Produces("application/json")]
[Tags("Provisioning keys")]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status401Unauthorized)]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status403Forbidden)]
public sealed class ProvisioningKeysController(ISender sender) : ControllerBase
{
    /// <summary>Creates a provisioning key (<c>prv_</c>).</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may
    /// send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Body <c>{"displayName", "expiresAt"?}</c> (<c>CreateKeyRequest</c>: a missing or blank name is 400 naming <c>displayName</c>; without <c>expiresAt</c> the key never expires).
    /// The 201 answer <c>{"provisioningKey":{id, displayName, secret, createdAt, disabled, expiresAt}}</c> is the only one that carries the secret (only its
    /// hash is stored).
    /// Send that secret as <c>key</c> in <c>POST /v2/tenants</c>, with an account credential of this tenant, to provision child tenants.
    /// </remarks>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body"><c>{"displayName"}</c>: a label for the key.</param>
    /// <response code="201">The new provisioning key, with its secret (shown only here).</response>
    [HttpPost(Name = "CreateProvisioningKey")]
    [Consumes("application/json")]
    [ProducesResponseType<ProvisioningKeyResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<IActionResult> CreateProvisioningKey([FromBody] CreateKeyRequest body, CancellationToken ct)
    {
        var key = await sender.Send(new CreateProvisioningKeyCommand(body.DisplayName, body.ExpiresAt), ct);
        return this.CreatedAt(key.Id, new ProvisioningKeyResponse(key));
    }

    /// <summary>Lists the tenant's provisioning keys.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may
    /// send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Never with a secret. Cursor paging, oldest first: <c>page[size]</c> 1–100 (default 25) and at most one of <c>page[after]</c> /
    /// <c>page[before]</c> (a <c>prv_</c> key id); a bad value is 400 naming the parameter. The answer's <c>meta</c> has <c>hasMore</c>,
    /// <c>afterCursor</c> and <c>beforeCursor</c>, and <c>links.next</c> / <c>links.prev</c> are ready-made URLs.
    /// </remarks>
    [HttpGet(Name = "ListProvisioningKeys")]
    [ProducesResponseType<ProvisioningKeyListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<ProvisioningKeyListResponse> ListProvisioningKeys([FromQuery(Name = "")] PageQuery page, CancellationToken ct)
    {
        var request = page.ToRequest();
        var result = await sender.Send(new ListProvisioningKeysQuery(request), ct);
        var (meta, links) = PageLinksBuilder.Build(Request, result, request);
        return new ProvisioningKeyListResponse(result.Items, meta, links);
    }

    /// <summary>Gets one provisioning key.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may
    /// send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Answers <c>id</c>, <c>displayName</c>, <c>createdAt</c>, <c>disabled</c> and <c>expiresAt</c>; never the secret.
    /// A key of another tenant or a malformed id is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="keyId">The provisioning key id (<c>prv_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{keyId}", Name = "GetProvisioningKey")]
    [ProducesResponseType<ProvisioningKeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<ProvisioningKeyResponse> GetProvisioningKey(string keyId, CancellationToken ct) =>
        new(await sender.Send(new GetProvisioningKeyQuery(keyId), ct));

    /// <summary>Deletes a provisioning key.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may
    /// send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// From then on its secret no longer provisions tenants; tenants already made with it stay. Answers <c>{}</c>.
    /// A key that is not visible is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="keyId">The provisioning key id (<c>prv_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpDelete("{keyId}", Name = "DeleteProvisioningKey")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> DeleteProvisioningKey(string keyId, CancellationToken ct)
    {
        await sender.Send(new DeleteProvisioningKeyCommand(keyId), ct);
        return new EmptyResponse();
    }

    /// <summary>Disables or enables a provisioning key.</summary>
    /// <remarks>
    /// Account credentials only. Body <c>{"disabled": true|false}</c>. While disabled (or once expired) the key provisions
    /// nothing: <c>POST /v2/tenants</c> with it answers 401, as with an unknown key.
    /// </remarks>
    /// <param name="keyId">The provisioning key id (<c>prv_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <param name="body">The new state.</param>
    [HttpPatch("{keyId}", Name = "SetProvisioningKeyDisabled")]
    [Consumes("application/json")]
    [ProducesResponseType<ProvisioningKeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<ProvisioningKeyResponse> SetProvisioningKeyDisabled(string keyId, [FromBody] KeyStateRequest body, CancellationToken ct) =>
        new(await sender.Send(new SetProvisioningKeyDisabledCommand(keyId, body.Required()), ct));
}
