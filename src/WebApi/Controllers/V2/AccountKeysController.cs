using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.AccountKeys.Commands.CreateAccountKey;
using Provisioning.Application.AccountKeys.Commands.DeleteAccountKey;
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
    /// <summary>Creates an account key; the answer is the only time its secret is shown.</summary>
    [HttpPost(Name = "CreateAccountKey")]
    [Consumes("application/json")]
    [ProducesResponseType<KeyResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<IActionResult> CreateAccountKey([FromBody] DisplayNameRequest body, CancellationToken ct)
    {
        var key = await sender.Send(new CreateAccountKeyCommand(body.DisplayName), ct);
        return this.CreatedAt(key.Id, new KeyResponse(key));
    }

    /// <summary>Lists the tenant's account keys (without secrets).</summary>
    [HttpGet(Name = "ListAccountKeys")]
    [ProducesResponseType<KeyListResponse>(StatusCodes.Status200OK)]
    public async Task<KeyListResponse> ListAccountKeys(CancellationToken ct) =>
        new(await sender.Send(new ListAccountKeysQuery(), ct));

    /// <summary>Gets one account key (without its secret).</summary>
    [HttpGet("{keyId}", Name = "GetAccountKey")]
    [ProducesResponseType<KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<KeyResponse> GetAccountKey(string keyId, CancellationToken ct) =>
        new(await sender.Send(new GetAccountKeyQuery(keyId), ct));

    /// <summary>Deletes an account key; it stops working at once. The last one cannot be deleted (409).</summary>
    [HttpDelete("{keyId}", Name = "DeleteAccountKey")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<EmptyResponse> DeleteAccountKey(string keyId, CancellationToken ct)
    {
        await sender.Send(new DeleteAccountKeyCommand(keyId), ct);
        return new EmptyResponse();
    }
}
