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
    [HttpPost(Name = "V1CreateApp")]
    [Consumes("application/json")]
    [ProducesResponseType<V1AppResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status402PaymentRequired)]
    public async Task<IActionResult> V1CreateApp([FromBody] V1AppRequest body, CancellationToken ct)
    {
        var app = await sender.Send(new CreateAppCommand(body.Name, body.Settings?.ToChange(), body.Metadata.AsOptional()), ct);
        return this.CreatedAt(app.Id, new V1AppResponse(V1App.From(app)));
    }

    [HttpGet(Name = "V1ListApps")]
    [ProducesResponseType<V1AppListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<V1AppListResponse> V1ListApps(
        [FromQuery(Name = "")] V1PageQuery page, [FromQuery(Name = "serviceAccountId")] string? serviceAccountId, CancellationToken ct) =>
        V1AppListResponse.From(await sender.Send(new ListAppsByOffsetQuery(page.ToRequest(), serviceAccountId), ct));

    [HttpGet("{appId}", Name = "V1GetApp")]
    [ProducesResponseType<V1AppResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1AppResponse> V1GetApp(string appId, CancellationToken ct) =>
        new(V1App.From(await sender.Send(new GetAppQuery(appId), ct)));

    /// <summary>Updates an app with the same merge rules as v2 PATCH.</summary>
    [HttpPut("{appId}", Name = "V1UpdateApp")]
    [Consumes("application/json")]
    [ProducesResponseType<V1AppResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1AppResponse> V1UpdateApp(string appId, [FromBody] V1AppRequest body, CancellationToken ct) =>
        new(V1App.From(await sender.Send(new UpdateAppCommand(appId, body.Name, body.Settings?.ToChange(), body.Metadata), ct)));

    [HttpDelete("{appId}", Name = "V1DeleteApp")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> V1DeleteApp(string appId, CancellationToken ct)
    {
        await sender.Send(new DeleteAppCommand(appId), ct);
        return new EmptyResponse();
    }

    /// <summary>Creates an app key; v1.1 answers 200, not 201.</summary>
    [HttpPost("{appId}/keys", Name = "V1CreateAppKey")]
    [Consumes("application/json")]
    [ProducesResponseType<V1KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1KeyResponse> V1CreateAppKey(string appId, [FromBody] V1NameRequest body, CancellationToken ct) =>
        new(V1Key.From(await sender.Send(new CreateAppKeyCommand(appId, body.Name), ct)));

    [HttpGet("{appId}/keys", Name = "V1ListAppKeys")]
    [ProducesResponseType<V1KeyListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1KeyListResponse> V1ListAppKeys(string appId, CancellationToken ct) =>
        new([.. (await sender.Send(new ListAppKeysQuery(appId), ct)).Select(V1Key.From)]);

    [HttpGet("{appId}/keys/{keyId}", Name = "V1GetAppKey")]
    [ProducesResponseType<V1KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1KeyResponse> V1GetAppKey(string appId, string keyId, CancellationToken ct) =>
        new(V1Key.From(await sender.Send(new GetAppKeyQuery(appId, keyId), ct)));

    [HttpDelete("{appId}/keys/{keyId}", Name = "V1DeleteAppKey")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> V1DeleteAppKey(string appId, string keyId, CancellationToken ct)
    {
        await sender.Send(new DeleteAppKeyCommand(appId, keyId), ct);
        return new EmptyResponse();
    }

    /// <summary>Issues an HS256 JWT signed with this app key (scope "app").</summary>
    [HttpGet("{appId}/keys/{keyId}/jwt", Name = "V1IssueAppKeyJwt")]
    [ProducesResponseType<JwtResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
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
        NotFound(ErrorEnvelope.Body(HttpContext, [new ApiError("not_found", SdkIntegrationsOutsideTheService)]));

    public const string SdkIntegrationsOutsideTheService =
        "SDK integrations are not part of this service: it provisions accounts, apps and keys only, so no app has SDK integrations.";
}
