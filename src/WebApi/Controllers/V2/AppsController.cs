using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.Apps.Commands.CreateApp;
using Provisioning.Application.Apps.Commands.DeleteApp;
using Provisioning.Application.Apps.Commands.UpdateApp;
using Provisioning.Application.Apps.Queries.GetApp;
using Provisioning.Application.Apps.Queries.ListApps;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Errors;

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
    /// <summary>Creates an app. A service account gets access to the apps it creates.</summary>
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

    /// <summary>Lists the apps the caller can reach, oldest first, with cursor paging.</summary>
    [HttpGet(Name = "ListApps")]
    [ProducesResponseType<AppListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<AppListResponse> ListApps(
        [FromQuery(Name = "")] PageQuery page, [FromQuery(Name = "filter[serviceAccountId]")] string? serviceAccountId, CancellationToken ct)
    {
        var request = page.ToRequest();
        var result = await sender.Send(new ListAppsQuery(request, serviceAccountId), ct);
        var (meta, links) = PageLinksBuilder.Build(Request, result, request, ("filter[serviceAccountId]", serviceAccountId));
        return new AppListResponse(result.Items, meta, links);
    }

    /// <summary>Gets one app.</summary>
    [HttpGet("{appId}", Name = "GetApp")]
    [ProducesResponseType<AppResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<AppResponse> GetApp(string appId, CancellationToken ct) =>
        new(await sender.Send(new GetAppQuery(appId), ct));

    /// <summary>Updates an app: displayName replaced, settings merged field by field, metadata merged key by key.</summary>
    [HttpPatch("{appId}", Name = "UpdateApp")]
    [Consumes("application/json")]
    [ProducesResponseType<AppResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<AppResponse> UpdateApp(string appId, [FromBody] UpdateAppRequest body, CancellationToken ct) =>
        new(await sender.Send(new UpdateAppCommand(appId, body.DisplayName, body.Settings?.ToChange(), body.Metadata), ct));

    /// <summary>Deletes an app, its keys and its grants.</summary>
    [HttpDelete("{appId}", Name = "DeleteApp")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> DeleteApp(string appId, CancellationToken ct)
    {
        await sender.Send(new DeleteAppCommand(appId), ct);
        return new EmptyResponse();
    }
}
