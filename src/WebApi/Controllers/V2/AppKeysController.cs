using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.AppKeys.Commands.CreateAppKey;
using Provisioning.Application.AppKeys.Commands.DeleteAppKey;
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
    /// <summary>Creates an app key (at most 10 per app).</summary>
    [HttpPost(Name = "CreateAppKey")]
    [Consumes("application/json")]
    [ProducesResponseType<AppKeyResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<IActionResult> CreateAppKey(string appId, [FromBody] DisplayNameRequest body, CancellationToken ct)
    {
        var key = await sender.Send(new CreateAppKeyCommand(appId, body.DisplayName), ct);
        return this.CreatedAt(key.Id, new AppKeyResponse(key));
    }

    /// <summary>Lists an app's keys, with their secrets.</summary>
    [HttpGet(Name = "ListAppKeys")]
    [ProducesResponseType<AppKeyListResponse>(StatusCodes.Status200OK)]
    public async Task<AppKeyListResponse> ListAppKeys(string appId, CancellationToken ct) =>
        new(await sender.Send(new ListAppKeysQuery(appId), ct));

    /// <summary>Gets one app key, with its secret.</summary>
    [HttpGet("{keyId}", Name = "GetAppKey")]
    [ProducesResponseType<AppKeyResponse>(StatusCodes.Status200OK)]
    public async Task<AppKeyResponse> GetAppKey(string appId, string keyId, CancellationToken ct) =>
        new(await sender.Send(new GetAppKeyQuery(appId, keyId), ct));

    /// <summary>Deletes an app key; it stops working at once.</summary>
    [HttpDelete("{keyId}", Name = "DeleteAppKey")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    public async Task<EmptyResponse> DeleteAppKey(string appId, string keyId, CancellationToken ct)
    {
        await sender.Send(new DeleteAppKeyCommand(appId, keyId), ct);
        return new EmptyResponse();
    }
}
