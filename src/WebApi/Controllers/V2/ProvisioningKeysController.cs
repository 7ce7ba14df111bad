using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.ProvisioningKeys.Commands.CreateProvisioningKey;
using Provisioning.Application.ProvisioningKeys.Commands.DeleteProvisioningKey;
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
    /// <summary>Creates a provisioning key; the answer is the only time its secret is shown.</summary>
    [HttpPost(Name = "CreateProvisioningKey")]
    [Consumes("application/json")]
    [ProducesResponseType<ProvisioningKeyResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<IActionResult> CreateProvisioningKey([FromBody] DisplayNameRequest body, CancellationToken ct)
    {
        var key = await sender.Send(new CreateProvisioningKeyCommand(body.DisplayName), ct);
        return this.CreatedAt(key.Id, new ProvisioningKeyResponse(key));
    }

    /// <summary>Lists the tenant's provisioning keys (without secrets).</summary>
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

    /// <summary>Gets one provisioning key (without its secret).</summary>
    [HttpGet("{keyId}", Name = "GetProvisioningKey")]
    [ProducesResponseType<ProvisioningKeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<ProvisioningKeyResponse> GetProvisioningKey(string keyId, CancellationToken ct) =>
        new(await sender.Send(new GetProvisioningKeyQuery(keyId), ct));

    /// <summary>Deletes a provisioning key; it no longer provisions tenants.</summary>
    [HttpDelete("{keyId}", Name = "DeleteProvisioningKey")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> DeleteProvisioningKey(string keyId, CancellationToken ct)
    {
        await sender.Send(new DeleteProvisioningKeyCommand(keyId), ct);
        return new EmptyResponse();
    }
}
