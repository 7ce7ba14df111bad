using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.Tenants;
using Provisioning.Application.Tenants.Commands.AddTenantUser;
using Provisioning.Application.Tenants.Commands.DeleteTenant;
using Provisioning.Application.Tenants.Commands.ProvisionTenant;
using Provisioning.Application.Tenants.Commands.RemoveTenantUser;
using Provisioning.Application.Tenants.Commands.UpdateTenant;
using Provisioning.Application.Tenants.Queries.GetTenant;
using Provisioning.Application.Tenants.Queries.ListTenants;
using Provisioning.Application.Tenants.Queries.ListTenantUsers;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Errors;

namespace Provisioning.WebApi.Controllers.V2;

/// <summary>Tenants: provisioning child tenants (DailyStory style) and managing the tree below the caller. <c>self</c> names the caller's tenant.</summary>
[ApiController]
[Route("v2/tenants")]
[Produces("application/json")]
[Tags("Tenants")]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status401Unauthorized)]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status403Forbidden)]
public sealed class TenantsController(ISender sender) : ControllerBase
{
    /// <summary>Provisions a child tenant with a provisioning key of the caller's tenant; answers its id and an API token.</summary>
    [HttpPost(Name = "ProvisionTenant")]
    [Consumes("application/json")]
    [ProducesResponseType<ProvisionedTenantDto>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<ProvisionedTenantDto> ProvisionTenant([FromBody] ProvisionTenantRequest body, CancellationToken ct) =>
        await sender.Send(new ProvisionTenantCommand(body.Name, body.Key, body.LogoUrl, body.Contacts, body.Emails, body.Settings), ct);

    /// <summary>Lists the direct children of the caller's tenant, oldest first.</summary>
    [HttpGet(Name = "ListTenants")]
    [ProducesResponseType<TenantListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    public async Task<TenantListResponse> ListTenants([FromQuery(Name = "")] PageQuery page, CancellationToken ct)
    {
        var request = page.ToRequest();
        var result = await sender.Send(new ListTenantsQuery(request), ct);
        var (meta, links) = PageLinksBuilder.Build(Request, result, request);
        return new TenantListResponse(result.Items, meta, links);
    }

    /// <summary>Gets a tenant (itself or a descendant) with its effective and own settings, users and app count.</summary>
    [HttpGet("{tenantId}", Name = "GetTenant")]
    [ProducesResponseType<TenantResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<TenantResponse> GetTenant(string tenantId, CancellationToken ct) =>
        new(await sender.Send(new GetTenantQuery(tenantId), ct));

    /// <summary>Changes a tenant. Limits (contacts, maxApps) only by an ancestor.</summary>
    [HttpPatch("{tenantId}", Name = "UpdateTenant")]
    [Consumes("application/json")]
    [ProducesResponseType<TenantResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<TenantResponse> UpdateTenant(string tenantId, [FromBody] UpdateTenantRequest body, CancellationToken ct) =>
        new(await sender.Send(new UpdateTenantCommand(tenantId, body.Name, body.LogoUrl.ToOptionalString("logoUrl"), body.Contacts,
            body.Settings, body.MaxApps.ToOptionalInt("maxApps")), ct));

    /// <summary>Deletes a tenant and everything under it (ancestors only); its credentials stop working at once.</summary>
    [HttpDelete("{tenantId}", Name = "DeleteTenant")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> DeleteTenant(string tenantId, CancellationToken ct)
    {
        await sender.Send(new DeleteTenantCommand(tenantId), ct);
        return new EmptyResponse();
    }

    /// <summary>Lists a tenant's users.</summary>
    [HttpGet("{tenantId}/users", Name = "ListTenantUsers")]
    [ProducesResponseType<TenantUserListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<TenantUserListResponse> ListTenantUsers(string tenantId, CancellationToken ct) =>
        new(await sender.Send(new ListTenantUsersQuery(tenantId), ct));

    /// <summary>Adds a user by email: 201 when added, 200 when the address was already there.</summary>
    [HttpPost("{tenantId}/users", Name = "AddTenantUser")]
    [Consumes("application/json")]
    [ProducesResponseType<TenantUserResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<TenantUserResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<IActionResult> AddTenantUser(string tenantId, [FromBody] AddTenantUserRequest body, CancellationToken ct)
    {
        var result = await sender.Send(new AddTenantUserCommand(tenantId, body.Email), ct);
        var response = new TenantUserResponse(result.User);
        return result.Created ? this.CreatedAt(result.User.Email, response) : Ok(response);
    }

    /// <summary>Removes a user.</summary>
    [HttpDelete("{tenantId}/users/{email}", Name = "RemoveTenantUser")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> RemoveTenantUser(string tenantId, string email, CancellationToken ct)
    {
        await sender.Send(new RemoveTenantUserCommand(tenantId, email), ct);
        return new EmptyResponse();
    }
}
