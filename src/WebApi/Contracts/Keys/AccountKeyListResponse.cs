using Provisioning.Application.Keys;

namespace Provisioning.WebApi.Contracts;

/// <summary><c>GET /v2/keys</c>: a page of the tenant's account keys.</summary>
public sealed record AccountKeyListResponse(IReadOnlyList<KeyDto> Keys, PageMeta Meta, PageLinks Links);
