using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.Apps.Commands.CreateApp;
using Provisioning.Application.Apps.Commands.DeleteApp;
using Provisioning.Application.Apps.Commands.UpdateApp;
using Provisioning.Application.Apps.Queries.GetApp;
using Provisioning.Application.Apps.Queries.ListApps;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Errors;
using Provisioning.WebApi.Hosting.OpenApi;

namespace Provisioning.WebApi.Controllers.V2;

/// <summary>Apps: workspaces of a tenant (Sunshine Conversations v2).</summary>
[ApiController]
[Route("v2/apps")]
[Produces("application/json")]
[Tags("Apps")]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status401Unauthorized)]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status403Forbidden)]
public sealed class AppsController(ISender sender) : ControllerBase
{
    /// <summary>Creates an app.</summary>
    /// <remarks>
    /// Callers: an account credential (<c>act_</c> key or tenant token) or an <c>svc_</c> key, which is granted access to the app it
    /// creates; <c>app_</c> keys get 403. An <c>act_</c> caller may send the <c>On-Behalf-Of</c> header with the id of one of its
    /// descendant tenants to act inside it.
    /// Body <c>{displayName, settings?, metadata?}</c>: <c>displayName</c> 1–100 characters; omitted settings take their defaults;
    /// <c>metadata</c> is a flat object of string, number or boolean values, at most 4096 bytes serialized.
    /// A broken rule is 400 naming the field; 402 <c>payment_required</c> when the tenant has reached its <c>maxApps</c>.
    /// </remarks>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body">The new app: <c>displayName</c> is required.</param>
    /// <response code="402">The tenant has reached its app limit (maxApps).</response>
    [HttpPost(Name = "CreateApp")]
    [Consumes("application/json")]
    [ProducesResponseType<AppResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status402PaymentRequired)]
    public async Task<IActionResult> CreateApp([FromBody] CreateAppRequest body, CancellationToken ct)
    {
        var app = await sender.Send(new CreateAppCommand(body.DisplayName, body.Settings?.ToChange(), body.Metadata.AsOptional()), ct);
        return this.CreatedAt(app.Id, new AppResponse(app));
    }

    /// <summary>Lists the apps the caller can reach.</summary>
    /// <remarks>
    /// Callers: an account credential sees every app of the tenant, an <c>svc_</c> key the apps it has access to; <c>app_</c> keys get 403.
    /// An <c>act_</c> caller may send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Cursor paging, oldest first: <c>page[size]</c> 1–100 (default 25) and at most one of <c>page[after]</c> / <c>page[before]</c> (a
    /// record id); a bad value is 400 naming the parameter. The answer's <c>meta</c> has <c>hasMore</c>, <c>afterCursor</c> and
    /// <c>beforeCursor</c>, and <c>links.next</c> / <c>links.prev</c> are ready-made URLs.
    /// <c>filter[serviceAccountId]</c> keeps the apps that service account can access: an unknown one is 404, and an <c>svc_</c> caller
    /// naming another service account gets 403.
    /// </remarks>
    [HttpGet(Name = "ListApps")]
    [ProducesResponseType<AppListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<AppListResponse> ListApps(
        [FromQuery(Name = "")] PageQuery page, [FromQuery(Name = "filter[serviceAccountId]"), SchemaLimits(Id = true)] string? serviceAccountId, CancellationToken ct)
    {
        var request = page.ToRequest();
        var result = await sender.Send(new ListAppsQuery(request, serviceAccountId), ct);
        var (meta, links) = PageLinksBuilder.Build(Request, result, request, ("filter[serviceAccountId]", serviceAccountId));
        return new AppListResponse(result.Items, meta, links);
    }

    /// <summary>Gets an app.</summary>
    /// <remarks>
    /// Callers: an account credential, an <c>svc_</c> key with access to the app, or the app's own <c>app_</c> key. An <c>act_</c> caller
    /// may send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Answers the app with the full <c>settings</c> object (defaults filled in) and its <c>metadata</c>.
    /// An app the caller cannot reach is 404 <c>app_not_found</c>, exactly as if it did not exist.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{appId}", Name = "GetApp")]
    [ProducesResponseType<AppResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<AppResponse> GetApp(string appId, CancellationToken ct) =>
        new(await sender.Send(new GetAppQuery(appId), ct));

    /// <summary>Updates an app.</summary>
    /// <remarks>
    /// Callers: an account credential, an <c>svc_</c> key with access to the app, or the app's own <c>app_</c> key. An <c>act_</c> caller
    /// may send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Absent fields stay as they are; <c>displayName</c> is replaced; <c>settings</c> are merged field by field (<c>multiConvoEnabled</c>
    /// cannot be turned off once on: 400); <c>metadata</c> is merged key by key, a key set to null is removed and <c>"metadata": null</c>
    /// clears it. Metadata emptied by removing its last key reads <c>null</c>, as an app's made without any; an app made with
    /// <c>"metadata": {}</c> reads <c>{}</c> until then (merging <c>{}</c> into either changes nothing).
    /// A broken rule is 400 naming the field. An app the caller cannot reach is 404 <c>app_not_found</c>, exactly as if it did not exist.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body">The fields to change: <c>displayName</c>, <c>settings</c>, <c>metadata</c>.</param>
    [HttpPatch("{appId}", Name = "UpdateApp")]
    [Consumes("application/json")]
    [ProducesResponseType<AppResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<AppResponse> UpdateApp(string appId, [FromBody] UpdateAppRequest body, CancellationToken ct) =>
        new(await sender.Send(new UpdateAppCommand(appId, body.DisplayName, body.Settings?.ToChange(), body.Metadata.ToOptionalJson()), ct));

    /// <summary>Deletes an app.</summary>
    /// <remarks>
    /// Callers: an account credential or an <c>svc_</c> key with access to the app; <c>app_</c> keys get 403. An <c>act_</c> caller may
    /// send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// The app, its keys and its service-account grants go; its keys get 401 from the next request on. Answers <c>{}</c>.
    /// An app the caller cannot reach is 404 <c>app_not_found</c>, exactly as if it did not exist.
    /// </remarks>
    /// <param name="appId">The app id (24 lowercase hex).</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpDelete("{appId}", Name = "DeleteApp")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> DeleteApp(string appId, CancellationToken ct)
    {
        await sender.Send(new DeleteAppCommand(appId), ct);
        return new EmptyResponse();
    }
}
