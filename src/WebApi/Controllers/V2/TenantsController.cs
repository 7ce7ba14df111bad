using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.Tenants;
using Provisioning.Application.Tenants.Commands.AddTenantUser;
using Provisioning.Application.Tenants.Commands.DeleteTenant;
using Provisioning.Application.Tenants.Commands.ProvisionTenant;
using Provisioning.Application.Tenants.Commands.RemoveTenantUser;
using Provisioning.Application.Tenants.Commands.UpdateTenant;
using Provisioning.Application.Tenants.Queries.GetTenant;
using Provisioning.Application.Tenants.Queries.GetTenantUser;
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
    /// <summary>Provisions a child tenant (DailyStory style).</summary>
    /// <remarks>
    /// Account credentials of the parent tenant only (<c>act_</c> key or tenant token); with an <c>On-Behalf-Of</c> header naming a
    /// descendant, that descendant is the parent.
    /// Body: <c>name</c> (required, 1–100), <c>key</c> (required: the secret of a provisioning key of the parent, else 401 and nothing is
    /// created), <c>logo_url</c> (absolute http(s) URL, default the parent's logo), <c>contacts</c> (integer ≥ 0, default 10000; at most the caller's own tenant's unless that is the root, and that, if smaller, is the default),
    /// <c>emails</c> (valid addresses, at most 1000, duplicates collapse; they become the tenant's users) and <c>settings</c> (feature →
    /// object of string values, laid over the parent's effective settings).
    /// Answers 200 <c>{"tenantuid","token"}</c>: the token is an account credential of the new tenant that works at once (Bearer, or Basic
    /// with any user name) and is shown only here.
    /// A broken rule is 400 naming the field; nesting deeper than 5 levels below the root is 400.
    /// </remarks>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body">The new tenant, in DailyStory's shape (note <c>logo_url</c>).</param>
    /// <response code="200">The new tenant's id and its API token (shown only here).</response>
    /// <response code="401">Missing or invalid credentials, or <c>key</c> is not a provisioning key of the parent tenant.</response>
    /// <response code="402">An ancestor's <c>maxTenants</c> budget is used up.</response>
    [HttpPost(Name = "ProvisionTenant")]
    [Consumes("application/json")]
    [ProducesResponseType<ProvisionedTenantDto>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status402PaymentRequired)]
    public async Task<ProvisionedTenantDto> ProvisionTenant([FromBody] ProvisionTenantRequest body, CancellationToken ct)
    {
        body.EnsureNoMistakenFields();
        return await sender.Send(new ProvisionTenantCommand(body.Name, body.Key, body.LogoUrl, body.Contacts, body.Emails, body.Settings), ct);
    }

    /// <summary>Lists the direct children of the caller's tenant.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may
    /// send the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Each tenant in summary form: <c>id</c>, <c>name</c>, <c>parentId</c>, <c>logoUrl</c>, <c>contacts</c>, <c>maxApps</c>,
    /// <c>maxTenants</c>, <c>status</c>, <c>createdAt</c>; grandchildren are reached through <c>GET /v2/tenants/{tenantId}</c>.
    /// Cursor paging, oldest first: <c>page[size]</c> 1–100 (default 25) and at most one of <c>page[after]</c> / <c>page[before]</c> (a
    /// record id); a bad value is 400 naming the parameter. The answer's <c>meta</c> has <c>hasMore</c>, <c>afterCursor</c> and
    /// <c>beforeCursor</c>, and <c>links.next</c> / <c>links.prev</c> are ready-made URLs.
    /// </remarks>
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

    /// <summary>Gets a tenant.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. <c>GET
    /// /v2/tenants/self</c> answers "who am I".
    /// The tenant the request acts in or one of its descendants; a parent, sibling or stranger is 404, exactly as if it did not exist.
    /// Answers <c>id</c>, <c>name</c>, <c>parentId</c>, <c>logoUrl</c>, <c>contacts</c>, <c>settings</c> (effective, inherited with its own
    /// laid over), <c>ownSettings</c>, <c>users</c>, <c>maxApps</c>, <c>maxTenants</c>, <c>appCount</c>, <c>status</c>,
    /// <c>lastActivityAt</c> and <c>createdAt</c>.
    /// </remarks>
    /// <param name="tenantId">The tenant id, or <c>self</c> for the tenant the request acts in.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{tenantId}", Name = "GetTenant")]
    [ProducesResponseType<TenantResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<TenantResponse> GetTenant(string tenantId, CancellationToken ct) =>
        new(await sender.Send(new GetTenantQuery(tenantId), ct));

    /// <summary>Updates a tenant.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. Absent fields stay as
    /// they are.
    /// The tenant itself may change <c>name</c>, <c>logoUrl</c> and <c>settings</c>; only a caller whose own tenant is an ancestor may also
    /// change its limits <c>contacts</c>, <c>maxApps</c> and <c>maxTenants</c>, and its <c>status</c> (<c>suspended</c> or <c>active</c>)
    /// (else 403). A suspension is held by the highest tenant that sent it: only that tenant, or one above it, resumes it (else 403).
    /// <c>logoUrl</c>: null removes the logo; <c>maxApps</c>: null means no limit; in <c>settings</c> a null value removes the tenant's own
    /// value for that key (a null feature removes the whole feature), so the inherited value shows again.
    /// A broken rule is 400 naming the field; a tenant that is not the caller's or a descendant is 404.
    /// </remarks>
    /// <param name="tenantId">The tenant id, or <c>self</c> for the tenant the request acts in.</param>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body">The fields to change.</param>
    [HttpPatch("{tenantId}", Name = "UpdateTenant")]
    [Consumes("application/json")]
    [ProducesResponseType<TenantResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<TenantResponse> UpdateTenant(string tenantId, [FromBody] UpdateTenantRequest body, CancellationToken ct) =>
        new(await sender.Send(new UpdateTenantCommand(tenantId, body.Name, body.LogoUrl.ToOptionalString("logoUrl"), body.Contacts,
            body.Settings, body.MaxApps.ToOptionalInt("maxApps"), body.MaxTenants.ToOptionalInt("maxTenants"), body.Status), ct));

    /// <summary>Deletes a descendant tenant and everything under it.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. Only a caller whose own
    /// tenant is a strict ancestor may; the tenant itself gets 403.
    /// The tenant, its child tenants, apps, service accounts, keys, provisioning keys and users go in one transaction, and every credential
    /// of that subtree gets 401 from the next request on. Answers <c>{}</c>.
    /// A tenant that is not a descendant is 404, exactly as if it did not exist.
    /// </remarks>
    /// <param name="tenantId">The tenant id, or <c>self</c> for the tenant the request acts in.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpDelete("{tenantId}", Name = "DeleteTenant")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> DeleteTenant(string tenantId, CancellationToken ct)
    {
        await sender.Send(new DeleteTenantCommand(tenantId), ct);
        return new EmptyResponse();
    }

    /// <summary>Lists a tenant's users.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. The tenant the request
    /// acts in or one of its descendants; any other is 404.
    /// Users are known by email address (stored lower-cased); answers <c>{"users":[{email, createdAt}]}</c> ordered by address, not paged:
    /// a tenant has at most 1000 users, all answered at once (a <c>page[…]</c> parameter is 400).
    /// </remarks>
    /// <param name="tenantId">The tenant id, or <c>self</c> for the tenant the request acts in.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{tenantId}/users", Name = "ListTenantUsers")]
    [ProducesResponseType<TenantUserListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<TenantUserListResponse> ListTenantUsers(string tenantId, CancellationToken ct) =>
        new(await sender.Send(new ListTenantUsersQuery(tenantId), ct));

    /// <summary>Adds a user to a tenant.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. The tenant the request
    /// acts in or one of its descendants; any other is 404.
    /// Body <c>{"email"}</c>: a valid address (else 400 naming <c>email</c>), stored lower-cased. A tenant has at most 1000 users: a new
    /// one past them is 400.
    /// Answers 201 when the user was added and 200 when the address was already there (in any case); nothing changes then.
    /// </remarks>
    /// <param name="tenantId">The tenant id, or <c>self</c> for the tenant the request acts in.</param>
    /// <param name="ct">Cancelled when the client goes away. (Kept above <c>body</c>: the OpenAPI generator copies the text of a param it
    /// cannot match onto the request body, last one wins.)</param>
    /// <param name="body"><c>{"email"}</c>: the user's address.</param>
    /// <response code="201">The user was added.</response>
    /// <response code="200">The address was already a user of the tenant; nothing changed.</response>
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

    /// <summary>Gets one user of a tenant.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. The tenant the request
    /// acts in or one of its descendants; any other is 404.
    /// The address in the path is percent-encoded (<c>a%2Fb%40example.com</c>, as the <c>Location</c> of its creation has it) and matched
    /// case-insensitively; one that is not a user of the tenant is 404. Answers <c>{"user":{email, createdAt}}</c>.
    /// </remarks>
    /// <param name="tenantId">The tenant id, or <c>self</c> for the tenant the request acts in.</param>
    /// <param name="email">The user's email address.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpGet("{tenantId}/users/{email}", Name = "GetTenantUser")]
    [ProducesResponseType<TenantUserResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<TenantUserResponse> GetTenantUser(string tenantId, string email, CancellationToken ct) =>
        new(await sender.Send(new GetTenantUserQuery(tenantId, RawRouteValues.LastSegment(HttpContext, email)), ct));

    /// <summary>Removes a user from a tenant.</summary>
    /// <remarks>
    /// Account credentials only (an <c>act_</c> key or a tenant token); <c>svc_</c> and <c>app_</c> keys get 403. The tenant the request
    /// acts in or one of its descendants; any other is 404.
    /// The address in the path is percent-encoded (<c>a%2Fb%40example.com</c>, as <c>Location</c> has it) and matched
    /// case-insensitively; one that is not a user of the tenant is 404. Answers <c>{}</c>.
    /// </remarks>
    /// <param name="tenantId">The tenant id, or <c>self</c> for the tenant the request acts in.</param>
    /// <param name="email">The user's email address.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    [HttpDelete("{tenantId}/users/{email}", Name = "RemoveTenantUser")]
    [ProducesResponseType<EmptyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EmptyResponse> RemoveTenantUser(string tenantId, string email, CancellationToken ct)
    {
        await sender.Send(new RemoveTenantUserCommand(tenantId, RawRouteValues.LastSegment(HttpContext, email)), ct);
        return new EmptyResponse();
    }
}
