using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.AppKeys.Commands.CreateAppKey;
using Provisioning.Application.AppKeys.Commands.DeleteAppKey;
using Provisioning.Application.AppKeys.Queries.GetAppKey;
using Provisioning.Application.AppKeys.Queries.IssueAppKeyJwt;
using Provisioning.Application.AppKeys.Queries.ListAppKeys;
using Provisioning.Application.Apps.Commands.CreateApp;
using Provisioning.Application.Apps.Commands.DeleteApp;
using Provisioning.Application.Apps.Commands.UpdateApp;
using Provisioning.Application.Apps.Queries.GetApp;
using Provisioning.Application.Apps.Queries.ListApps;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Contracts.V1;
using Provisioning.WebApi.Errors;
using Provisioning.WebApi.Hosting.OpenApi;

namespace Provisioning.WebApi.Controllers.V1;

/// <summary>Apps and app keys, Sunshine Conversations v1.1 shapes (smooch-core).</summary>
[ApiController]
[Route("v1.1/apps")]
[Produces("application/json")]
[Tags("v1.1 Apps")]
[ProducesResponseType<V1ErrorResponse>(StatusCodes.Status401Unauthorized)]
[ProducesResponseType<V1ErrorResponse>(StatusCodes.Status403Forbidden)]
public sealed class V1AppsController(ISender sender) : ControllerBase
{
    /// <summary>Creates an app (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: body <c>{name, settings?, metadata?}</c>, answer 201
    /// <c>{"app":{"_id","appToken","name","settings","metadata"}}</c>; errors are <c>{"error":{"code","description"}}</c>.
    /// Same rules as <c>POST /v2/apps</c>: account credentials or an <c>svc_</c> key (granted access to the app it creates), <c>app_</c>
    /// keys get 403; <c>name</c> 1–100 characters; <c>metadata</c> a flat object of at most 4096 bytes.
    /// A broken rule is 400; 402 <c>payment_required</c> when the tenant has reached its <c>maxApps</c>. An <c>act_</c> caller may send the
    /// <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// </remarks>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body">The new app: <c>name</c> is required.</param>
    [HttpPost(Name = "V1CreateApp")]
    [Consumes("application/json")]
    [ProducesResponseType<V1AppResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status402PaymentRequired)]
    public async Task<IActionResult> V1CreateApp([FromBody] V1CreateAppRequest body, CancellationToken ct)
    {
        var app = await sender.Send(new CreateAppCommand(body.Name, body.Settings?.ToChange(), body.Metadata.AsOptional()), ct);
        return this.CreatedAt(app.Id, new V1AppResponse(V1App.From(app)));
    }

    /// <summary>Lists the apps the caller can reach (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{"apps":[…],"hasMore","offset"}</c>; errors are
    /// <c>{"error":{"code","description"}}</c>.
    /// Account credentials see every app of the tenant, an <c>svc_</c> key the apps it has access to; <c>app_</c> keys get 403. An
    /// <c>act_</c> caller may send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Paged with <c>limit</c> (1–100, default 25) and <c>offset</c> (0 or more), oldest first; a bad value is 400 naming it.
    /// <c>serviceAccountId</c> keeps the apps that service account can access; an <c>svc_</c> caller naming another one gets 403.
    /// An account caller's list and a service account's apps (an <c>svc_</c> caller, or <c>serviceAccountId</c>) page by keyset under
    /// the hood: a page reached by paging on (<c>offset</c> + <c>limit</c>) or asked for before costs the same at any depth while no
    /// app of the tenant is created or deleted (and, for a service account's apps, none granted or revoked), and the answer is
    /// always the one an offset over the current apps gives; the first request for an offset of 1000 or more (and the next after
    /// such a change) reads an id index up to it. To walk a large list, <c>GET /v2/apps</c> pages by cursor.
    /// </remarks>
    /// <param name="page"><c>limit</c> and <c>offset</c>.</param>
    /// <param name="serviceAccountId">Only the apps this service account can access.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet(Name = "V1ListApps")]
    [ProducesResponseType<V1AppListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<V1AppListResponse> V1ListApps(
        [FromQuery(Name = "")] V1PageQuery page, [FromQuery(Name = "serviceAccountId"), SchemaLimits(Id = true)] string? serviceAccountId, CancellationToken ct) =>
        V1AppListResponse.From(await sender.Send(new ListAppsByOffsetQuery(page.ToRequest(), serviceAccountId), ct));

    /// <summary>Gets an app (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{"app":{"_id","appToken","name","settings","metadata"}}</c>; errors
    /// are <c>{"error":{"code","description"}}</c>.
    /// Callers: account credentials, an <c>svc_</c> key with access to the app, or the app's own <c>app_</c> key. An <c>act_</c> caller may
    /// send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// An app the caller cannot reach is 404 <c>app_not_found</c>, exactly as if it did not exist.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{appId}", Name = "V1GetApp")]
    [ProducesResponseType<V1AppResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1AppResponse> V1GetApp(string appId, CancellationToken ct) =>
        new(V1App.From(await sender.Send(new GetAppQuery(appId), ct)));

    /// <summary>Updates an app (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: body <c>{name?, settings?, metadata?}</c>, answer
    /// <c>{"app":{"_id","appToken","name","settings","metadata"}}</c>; errors are <c>{"error":{"code","description"}}</c>.
    /// Despite the PUT, the v2 PATCH merge rules apply: absent fields stay, <c>name</c> is replaced, <c>settings</c> merge field by field,
    /// <c>metadata</c> merges key by key (null removes a key, <c>"metadata": null</c> clears it).
    /// Callers: account credentials, an <c>svc_</c> key with access to the app, or the app's own <c>app_</c> key. An <c>act_</c> caller may
    /// send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// A broken rule is 400. An app the caller cannot reach is 404 <c>app_not_found</c>, exactly as if it did not exist.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body">The fields to change: <c>name</c>, <c>settings</c>, <c>metadata</c>.</param>
    [HttpPut("{appId}", Name = "V1UpdateApp")]
    [Consumes("application/json")]
    [ProducesResponseType<V1AppResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1AppResponse> V1UpdateApp(string appId, [FromBody] V1AppRequest body, CancellationToken ct) =>
        new(V1App.From(await sender.Send(new UpdateAppCommand(appId, body.Name, body.Settings?.ToChange(), body.Metadata.ToOptionalJson()), ct)));

    /// <summary>Deletes an app (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{}</c>; errors are
    /// <c>{"error":{"code","description"}}</c>.
    /// Callers: account credentials or an <c>svc_</c> key with access to the app; <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// The app, its keys and its grants go; its keys get 401 from the next request on. An app the caller cannot reach is 404
    /// <c>app_not_found</c>, exactly as if it did not exist.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpDelete("{appId}", Name = "V1DeleteApp")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> V1DeleteApp(string appId, CancellationToken ct)
    {
        await sender.Send(new DeleteAppCommand(appId), ct);
        return new EmptyResponse();
    }

    /// <summary>Creates an app key (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: body <c>{"name"}</c>, answer 200 (not 201)
    /// <c>{"key":{"_id","name","secret","disabled","expiresAt"}}</c>; errors are <c>{"error":{"code","description"}}</c>.
    /// Callers: an account credential (<c>act_</c> key or tenant token), or an <c>svc_</c> key that has access to the app; <c>app_</c> keys
    /// get 403. An <c>act_</c> caller may send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside
    /// it.
    /// <c>name</c> 1–100 characters; an app has at most 10 keys (400). An app the caller cannot reach is 404 <c>app_not_found</c>, exactly
    /// as if it did not exist.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body"><c>{"name"}</c>: a label for the key.</param>
    /// <response code="200">The new key, with its secret.</response>
    [HttpPost("{appId}/keys", Name = "V1CreateAppKey")]
    [Consumes("application/json")]
    [ProducesResponseType<V1KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1KeyResponse> V1CreateAppKey(string appId, [FromBody] V1CreateKeyRequest body, CancellationToken ct) =>
        new(V1Key.From(await sender.Send(new CreateAppKeyCommand(appId, body.Name, body.ExpiresAt), ct)));

    /// <summary>Lists an app's keys (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{"keys":[{"_id","name","secret","disabled","expiresAt"}]}</c>, oldest first,
    /// not paged, with secrets; errors are <c>{"error":{"code","description"}}</c>.
    /// Callers: an account credential (<c>act_</c> key or tenant token), or an <c>svc_</c> key that has access to the app; <c>app_</c> keys
    /// get 403. An <c>act_</c> caller may send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside
    /// it.
    /// An app the caller cannot reach is 404 <c>app_not_found</c>, exactly as if it did not exist.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{appId}/keys", Name = "V1ListAppKeys")]
    [ProducesResponseType<V1KeyListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1KeyListResponse> V1ListAppKeys(string appId, CancellationToken ct) =>
        new([.. (await sender.Send(new ListAppKeysQuery(appId), ct)).Select(V1Key.From)]);

    /// <summary>Gets one app key (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{"key":{"_id","name","secret","disabled","expiresAt"}}</c>, with the secret;
    /// errors are <c>{"error":{"code","description"}}</c>.
    /// Callers: an account credential (<c>act_</c> key or tenant token), or an <c>svc_</c> key that has access to the app; <c>app_</c> keys
    /// get 403. An <c>act_</c> caller may send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside
    /// it.
    /// A missing or not visible app is 404 <c>app_not_found</c>; a key that is not one of this app's is 404 <c>not_found</c>.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="keyId">The app key id (<c>app_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{appId}/keys/{keyId}", Name = "V1GetAppKey")]
    [ProducesResponseType<V1KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1KeyResponse> V1GetAppKey(string appId, string keyId, CancellationToken ct) =>
        new(V1Key.From(await sender.Send(new GetAppKeyQuery(appId, keyId), ct)));

    /// <summary>Deletes an app key (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{}</c>; errors are
    /// <c>{"error":{"code","description"}}</c>.
    /// Callers: an account credential (<c>act_</c> key or tenant token), or an <c>svc_</c> key that has access to the app; <c>app_</c> keys
    /// get 403. An <c>act_</c> caller may send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside
    /// it.
    /// The key and its JWTs get 401 from the next request on. A missing app is 404 <c>app_not_found</c>, a missing key 404
    /// <c>not_found</c>.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="keyId">The app key id (<c>app_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpDelete("{appId}/keys/{keyId}", Name = "V1DeleteAppKey")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> V1DeleteAppKey(string appId, string keyId, CancellationToken ct)
    {
        await sender.Send(new DeleteAppKeyCommand(appId, keyId), ct);
        return new EmptyResponse();
    }

    /// <summary>Issues a JWT signed with an app key (v1.1).</summary>
    /// <remarks>
    /// Sunshine Conversations v1.1 shape, as used by <c>smooch-core</c>: answer <c>{"jwt":"…"}</c>; errors are
    /// <c>{"error":{"code","description"}}</c>.
    /// Callers: an account credential (<c>act_</c> key or tenant token), or an <c>svc_</c> key that has access to the app; <c>app_</c> keys
    /// get 403. An <c>act_</c> caller may send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside
    /// it.
    /// HS256, header <c>kid</c> = the key id, claims <c>scope</c> = <c>app</c>, <c>iat</c> and <c>exp</c> (default lifetime one hour);
    /// deleting the key makes it fail at once.
    /// A missing app is 404 <c>app_not_found</c>, a missing key 404 <c>not_found</c>.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="keyId">The app key id (<c>app_…</c>).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{appId}/keys/{keyId}/jwt", Name = "V1IssueAppKeyJwt")]
    [ProducesResponseType<JwtResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<JwtResponse> V1IssueAppKeyJwt(string appId, string keyId, CancellationToken ct) =>
        new((await sender.Send(new IssueAppKeyJwtQuery(appId, keyId), ct)).Jwt);

    /// <summary>SDK integrations: not part of this service (always 404).</summary>
    /// <remarks>
    /// Sunshine's SDK integrations (web messenger, iOS, Android) belong to a messaging platform, not to account
    /// provisioning; this service has none, so the route answers 404 <c>not_found</c> saying so, for every app.
    /// </remarks>
    [HttpGet("{appId}/sdks", Name = "V1ListAppSdks")]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public IActionResult V1ListAppSdks(string appId) =>
        NotFound(ErrorEnvelope.Body(HttpContext, [ErrorEnvelope.Error(StatusCodes.Status404NotFound, SdkIntegrationsOutsideTheService)]));

    public const string SdkIntegrationsOutsideTheService =
        "SDK integrations are not part of this service: it provisions accounts, apps and keys only, so no app has SDK integrations.";
}
