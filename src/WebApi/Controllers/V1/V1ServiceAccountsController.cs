using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccount;
using Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccountKey;
using Provisioning.Application.ServiceAccounts.Commands.DeleteServiceAccount;
using Provisioning.Application.ServiceAccounts.Commands.DeleteServiceAccountKey;
using Provisioning.Application.ServiceAccounts.Commands.UpdateServiceAccount;
using Provisioning.Application.ServiceAccounts.Queries.GetServiceAccount;
using Provisioning.Application.ServiceAccounts.Queries.GetServiceAccountKey;
using Provisioning.Application.ServiceAccounts.Queries.IssueServiceAccountKeyJwt;
using Provisioning.Application.ServiceAccounts.Queries.ListServiceAccountKeys;
using Provisioning.Application.ServiceAccounts.Queries.ListServiceAccounts;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Contracts.V1;
using Provisioning.WebApi.Errors;

namespace Provisioning.WebApi.Controllers.V1;

/// <summary>Service accounts and their keys, Sunshine Conversations v1.1 shapes (smooch-core).</summary>
[ApiController]
[Route("v1.1/serviceaccounts")]
[Produces("application/json")]
[Tags("v1.1 Service accounts")]
[ProducesResponseType<V1ErrorResponse>(StatusCodes.Status401Unauthorized)]
[ProducesResponseType<V1ErrorResponse>(StatusCodes.Status403Forbidden)]
public sealed class V1ServiceAccountsController(ISender sender) : ControllerBase
{
    [HttpPost(Name = "V1CreateServiceAccount")]
    [Consumes("application/json")]
    [ProducesResponseType<V1ServiceAccountResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<IActionResult> V1CreateServiceAccount([FromBody] V1NameRequest body, CancellationToken ct)
    {
        var account = await sender.Send(new CreateServiceAccountCommand(body.Name), ct);
        return this.CreatedAt(account.Id, new V1ServiceAccountResponse(V1ServiceAccount.From(account)));
    }

    [HttpGet(Name = "V1ListServiceAccounts")]
    [ProducesResponseType<V1ServiceAccountListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<V1ServiceAccountListResponse> V1ListServiceAccounts([FromQuery(Name = "")] V1PageQuery page, CancellationToken ct) =>
        V1ServiceAccountListResponse.From(await sender.Send(new ListServiceAccountsByOffsetQuery(page.ToRequest()), ct));

    [HttpGet("{serviceAccountId}", Name = "V1GetServiceAccount")]
    [ProducesResponseType<V1ServiceAccountResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1ServiceAccountResponse> V1GetServiceAccount(string serviceAccountId, CancellationToken ct) =>
        new(V1ServiceAccount.From(await sender.Send(new GetServiceAccountQuery(serviceAccountId), ct)));

    [HttpPut("{serviceAccountId}", Name = "V1UpdateServiceAccount")]
    [Consumes("application/json")]
    [ProducesResponseType<V1ServiceAccountResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<V1ServiceAccountResponse> V1UpdateServiceAccount(string serviceAccountId, [FromBody] V1NameRequest body, CancellationToken ct) =>
        new(V1ServiceAccount.From(await sender.Send(new UpdateServiceAccountCommand(serviceAccountId, body.Name), ct)));

    [HttpDelete("{serviceAccountId}", Name = "V1DeleteServiceAccount")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> V1DeleteServiceAccount(string serviceAccountId, CancellationToken ct)
    {
        await sender.Send(new DeleteServiceAccountCommand(serviceAccountId), ct);
        return new EmptyResponse();
    }

    /// <summary>Creates a key; v1.1 answers 200, not 201.</summary>
    [HttpPost("{serviceAccountId}/keys", Name = "V1CreateServiceAccountKey")]
    [Consumes("application/json")]
    [ProducesResponseType<V1KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1KeyResponse> V1CreateServiceAccountKey(string serviceAccountId, [FromBody] V1NameRequest body, CancellationToken ct) =>
        new(V1Key.From(await sender.Send(new CreateServiceAccountKeyCommand(serviceAccountId, body.Name), ct)));

    [HttpGet("{serviceAccountId}/keys", Name = "V1ListServiceAccountKeys")]
    [ProducesResponseType<V1KeyListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1KeyListResponse> V1ListServiceAccountKeys(string serviceAccountId, CancellationToken ct) =>
        new([.. (await sender.Send(new ListServiceAccountKeysQuery(serviceAccountId), ct)).Select(V1Key.From)]);

    [HttpGet("{serviceAccountId}/keys/{keyId}", Name = "V1GetServiceAccountKey")]
    [ProducesResponseType<V1KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<V1KeyResponse> V1GetServiceAccountKey(string serviceAccountId, string keyId, CancellationToken ct) =>
        new(V1Key.From(await sender.Send(new GetServiceAccountKeyQuery(serviceAccountId, keyId), ct)));

    [HttpDelete("{serviceAccountId}/keys/{keyId}", Name = "V1DeleteServiceAccountKey")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> V1DeleteServiceAccountKey(string serviceAccountId, string keyId, CancellationToken ct)
    {
        await sender.Send(new DeleteServiceAccountKeyCommand(serviceAccountId, keyId), ct);
        return new EmptyResponse();
    }

    [HttpGet("{serviceAccountId}/keys/{keyId}/jwt", Name = "V1IssueServiceAccountKeyJwt")]
    [ProducesResponseType<JwtResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V1ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<JwtResponse> V1IssueServiceAccountKeyJwt(string serviceAccountId, string keyId, CancellationToken ct) =>
        new((await sender.Send(new IssueServiceAccountKeyJwtQuery(serviceAccountId, keyId), ct)).Jwt);
}
