using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccount;
using Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccountKey;
using Provisioning.Application.ServiceAccounts.Commands.DeleteServiceAccount;
using Provisioning.Application.ServiceAccounts.Commands.DeleteServiceAccountKey;
using Provisioning.Application.ServiceAccounts.Commands.GrantAppAccess;
using Provisioning.Application.ServiceAccounts.Commands.RevokeAppAccess;
using Provisioning.Application.ServiceAccounts.Commands.UpdateServiceAccount;
using Provisioning.Application.ServiceAccounts.Queries.GetServiceAccount;
using Provisioning.Application.ServiceAccounts.Queries.GetServiceAccountKey;
using Provisioning.Application.ServiceAccounts.Queries.IssueServiceAccountKeyJwt;
using Provisioning.Application.ServiceAccounts.Queries.ListServiceAccountApps;
using Provisioning.Application.ServiceAccounts.Queries.ListServiceAccountKeys;
using Provisioning.Application.ServiceAccounts.Queries.ListServiceAccounts;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Errors;

namespace Provisioning.WebApi.Controllers.V2;

/// <summary>Service accounts: API consumers that reach only the apps they created or were granted. Account keys only.</summary>
[ApiController]
[Route("v2/serviceaccounts")]
[Produces("application/json")]
[Tags("Service accounts")]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status401Unauthorized)]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status403Forbidden)]
public sealed class ServiceAccountsController(ISender sender) : ControllerBase
{
    /// <summary>Creates a service account (display names are unique per tenant, case-insensitively).</summary>
    [HttpPost(Name = "CreateServiceAccount")]
    [Consumes("application/json")]
    [ProducesResponseType<ServiceAccountResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<IActionResult> CreateServiceAccount([FromBody] DisplayNameRequest body, CancellationToken ct)
    {
        var account = await sender.Send(new CreateServiceAccountCommand(body.DisplayName), ct);
        return this.CreatedAt(account.Id, new ServiceAccountResponse(account));
    }

    /// <summary>Lists the tenant's service accounts, oldest first, with cursor paging.</summary>
    [HttpGet(Name = "ListServiceAccounts")]
    [ProducesResponseType<ServiceAccountListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<ServiceAccountListResponse> ListServiceAccounts([FromQuery(Name = "")] PageQuery page, CancellationToken ct)
    {
        var request = page.ToRequest();
        var result = await sender.Send(new ListServiceAccountsQuery(request), ct);
        var (meta, links) = PageLinksBuilder.Build(Request, result, request);
        return new ServiceAccountListResponse(result.Items, meta, links);
    }

    /// <summary>Gets one service account.</summary>
    [HttpGet("{serviceAccountId}", Name = "GetServiceAccount")]
    [ProducesResponseType<ServiceAccountResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<ServiceAccountResponse> GetServiceAccount(string serviceAccountId, CancellationToken ct) =>
        new(await sender.Send(new GetServiceAccountQuery(serviceAccountId), ct));

    /// <summary>Renames a service account.</summary>
    [HttpPatch("{serviceAccountId}", Name = "UpdateServiceAccount")]
    [Consumes("application/json")]
    [ProducesResponseType<ServiceAccountResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status409Conflict)]
    public async Task<ServiceAccountResponse> UpdateServiceAccount(string serviceAccountId, [FromBody] DisplayNameRequest body, CancellationToken ct) =>
        new(await sender.Send(new UpdateServiceAccountCommand(serviceAccountId, body.DisplayName), ct));

    /// <summary>Deletes a service account with its keys and grants; its apps stay.</summary>
    [HttpDelete("{serviceAccountId}", Name = "DeleteServiceAccount")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> DeleteServiceAccount(string serviceAccountId, CancellationToken ct)
    {
        await sender.Send(new DeleteServiceAccountCommand(serviceAccountId), ct);
        return new EmptyResponse();
    }

    /// <summary>Creates a key for a service account (at most 10).</summary>
    [HttpPost("{serviceAccountId}/keys", Name = "CreateServiceAccountKey")]
    [Consumes("application/json")]
    [ProducesResponseType<KeyResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<IActionResult> CreateServiceAccountKey(string serviceAccountId, [FromBody] DisplayNameRequest body, CancellationToken ct)
    {
        var key = await sender.Send(new CreateServiceAccountKeyCommand(serviceAccountId, body.DisplayName), ct);
        return this.CreatedAt(key.Id, new KeyResponse(key));
    }

    /// <summary>Lists a service account's keys, with their secrets.</summary>
    [HttpGet("{serviceAccountId}/keys", Name = "ListServiceAccountKeys")]
    [ProducesResponseType<KeyListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<KeyListResponse> ListServiceAccountKeys(string serviceAccountId, CancellationToken ct) =>
        new(await sender.Send(new ListServiceAccountKeysQuery(serviceAccountId), ct));

    /// <summary>Gets one service-account key, with its secret.</summary>
    [HttpGet("{serviceAccountId}/keys/{keyId}", Name = "GetServiceAccountKey")]
    [ProducesResponseType<KeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<KeyResponse> GetServiceAccountKey(string serviceAccountId, string keyId, CancellationToken ct) =>
        new(await sender.Send(new GetServiceAccountKeyQuery(serviceAccountId, keyId), ct));

    /// <summary>Deletes a service-account key; it stops working at once.</summary>
    [HttpDelete("{serviceAccountId}/keys/{keyId}", Name = "DeleteServiceAccountKey")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> DeleteServiceAccountKey(string serviceAccountId, string keyId, CancellationToken ct)
    {
        await sender.Send(new DeleteServiceAccountKeyCommand(serviceAccountId, keyId), ct);
        return new EmptyResponse();
    }

    /// <summary>Issues an HS256 JWT signed with this key (scope "account").</summary>
    [HttpGet("{serviceAccountId}/keys/{keyId}/jwt", Name = "IssueServiceAccountKeyJwt")]
    [ProducesResponseType<JwtResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<JwtResponse> IssueServiceAccountKeyJwt(string serviceAccountId, string keyId, CancellationToken ct) =>
        new((await sender.Send(new IssueServiceAccountKeyJwtQuery(serviceAccountId, keyId), ct)).Jwt);

    /// <summary>Lists the apps a service account can access.</summary>
    [HttpGet("{serviceAccountId}/apps", Name = "ListServiceAccountApps")]
    [ProducesResponseType<AppListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<AppListResponse> ListServiceAccountApps(string serviceAccountId, [FromQuery(Name = "")] PageQuery page, CancellationToken ct)
    {
        var request = page.ToRequest();
        var result = await sender.Send(new ListServiceAccountAppsQuery(serviceAccountId, request), ct);
        var (meta, links) = PageLinksBuilder.Build(Request, result, request);
        return new AppListResponse(result.Items, meta, links);
    }

    /// <summary>Grants the service account access to an existing app (idempotent).</summary>
    [HttpPut("{serviceAccountId}/apps/{appId}", Name = "GrantAppAccess")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> GrantAppAccess(string serviceAccountId, string appId, CancellationToken ct)
    {
        await sender.Send(new GrantAppAccessCommand(serviceAccountId, appId), ct);
        return new EmptyResponse();
    }

    /// <summary>Revokes the service account's access to an app.</summary>
    [HttpDelete("{serviceAccountId}/apps/{appId}", Name = "RevokeAppAccess")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> RevokeAppAccess(string serviceAccountId, string appId, CancellationToken ct)
    {
        await sender.Send(new RevokeAppAccessCommand(serviceAccountId, appId), ct);
        return new EmptyResponse();
    }
}
