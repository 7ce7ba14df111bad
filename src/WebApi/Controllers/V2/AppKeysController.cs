using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.AppKeys.Commands.CreateAppKey;
using Provisioning.Application.AppKeys.Commands.DeleteAppKey;
using Provisioning.Application.AppKeys.Commands.SetAppKeyDisabled;
using Provisioning.Application.AppKeys.Queries.GetAppKey;
using Provisioning.Application.AppKeys.Queries.ListAppKeys;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Errors;

namespace Provisioning.WebApi.Controllers.V2;

/// <summary>Keys of one app (<c>app_</c>): they reach GET and PATCH of that app only.</summary>
[ApiController]
[Route("v2/apps/{appId}/keys")]
[Produces("application/json")]
[Tags("App keys")]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status401Unauthorized)]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status403Forbidden)]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
public sealed class AppKeysController(ISender sender) : ControllerBase
{
    /// <summary>Creates an app key (<c>app_</c>).</summary>
    /// <remarks>
    /// Callers: an account credential (<c>act_</c> key or tenant token), or an <c>svc_</c> key that has access to the app; <c>app_</c> keys
    /// get 403. An <c>act_</c> caller may send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside
    /// it.
    /// Body <c>{"displayName", "expiresAt"?}</c> (<c>CreateKeyRequest</c>: a missing or blank name is 400 naming <c>displayName</c>; without <c>expiresAt</c> the key never expires); an app has at most 10 keys (400).
    /// Answers 201 with the key and its <c>secret</c>; the key reaches GET and PATCH of this app only.
    /// An app the caller cannot reach is 404 <c>app_not_found</c>, exactly as if it did not exist.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body"><c>{"displayName"}</c>: a label for the key.</param>
    [HttpPost(Name = "CreateAppKey")]
    [Consumes("application/json")]
    [ProducesResponseType<AppKeyResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<IActionResult> CreateAppKey(string appId, [FromBody] CreateKeyRequest body, CancellationToken ct)
    {
        var key = await sender.Send(new CreateAppKeyCommand(appId, body.DisplayName, body.ExpiresAt), ct);
        return this.CreatedAt(key.Id, new AppKeyResponse(key));
    }

    /// <summary>Lists an app's keys.</summary>
    /// <remarks>
    /// Callers: an account credential (<c>act_</c> key or tenant token), or an <c>svc_</c> key that has access to the app; <c>app_</c> keys
    /// get 403. An <c>act_</c> caller may send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside
    /// it.
    /// All keys of the app (at most 10), oldest first, not paged, each with its <c>secret</c>, as Sunshine Conversations shows them.
    /// An app the caller cannot reach is 404 <c>app_not_found</c>, exactly as if it did not exist.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet(Name = "ListAppKeys")]
    [ProducesResponseType<AppKeyListResponse>(StatusCodes.Status200OK)]
    public async Task<AppKeyListResponse> ListAppKeys(string appId, CancellationToken ct) =>
        new(await sender.Send(new ListAppKeysQuery(appId), ct));

    /// <summary>Gets one app key.</summary>
    /// <remarks>
    /// Callers: an account credential (<c>act_</c> key or tenant token), or an <c>svc_</c> key that has access to the app; <c>app_</c> keys
    /// get 403. An <c>act_</c> caller may send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside
    /// it.
    /// Answers <c>id</c>, <c>displayName</c>, <c>secret</c>, <c>disabled</c> and <c>expiresAt</c> (app keys show their secret on get and list too, like Sunshine
    /// Conversations).
    /// A missing or not visible app is 404 <c>app_not_found</c>; a key that is not one of this app's is 404 <c>not_found</c>.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="keyId">The app key id (<c>app_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{keyId}", Name = "GetAppKey")]
    [ProducesResponseType<AppKeyResponse>(StatusCodes.Status200OK)]
    public async Task<AppKeyResponse> GetAppKey(string appId, string keyId, CancellationToken ct) =>
        new(await sender.Send(new GetAppKeyQuery(appId, keyId), ct));

    /// <summary>Deletes an app key.</summary>
    /// <remarks>
    /// Callers: an account credential (<c>act_</c> key or tenant token), or an <c>svc_</c> key that has access to the app; <c>app_</c> keys
    /// get 403. An <c>act_</c> caller may send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside
    /// it.
    /// The key, its Basic credential and its JWTs get 401 from the next request on; answers <c>{}</c>.
    /// A missing or not visible app is 404 <c>app_not_found</c>; a key that is not one of this app's is 404 <c>not_found</c>.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="keyId">The app key id (<c>app_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpDelete("{keyId}", Name = "DeleteAppKey")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    public async Task<EmptyResponse> DeleteAppKey(string appId, string keyId, CancellationToken ct)
    {
        await sender.Send(new DeleteAppKeyCommand(appId, keyId), ct);
        return new EmptyResponse();
    }

    /// <summary>Disables or enables an app key.</summary>
    /// <remarks>
    /// Account credentials, or a service account with access to the app. Body <c>{"disabled": true|false}</c>. A disabled
    /// key answers 401, with its JWTs, on every instance from the next request; enabling it restores it.
    /// </remarks>
    /// <param name="appId">The app's id.</param>
    /// <param name="keyId">The app key id (<c>app_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <param name="body">The new state.</param>
    [HttpPatch("{keyId}", Name = "SetAppKeyDisabled")]
    [Consumes("application/json")]
    [ProducesResponseType<AppKeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<AppKeyResponse> SetAppKeyDisabled(string appId, string keyId, [FromBody] KeyStateRequest body, CancellationToken ct) =>
        new(await sender.Send(new SetAppKeyDisabledCommand(appId, keyId, body.Required()), ct));
}
