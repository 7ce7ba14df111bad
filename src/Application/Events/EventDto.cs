namespace Provisioning.Application.Events;

/// <summary>An audit event as the API shows it (API.md §11).</summary>
public sealed record EventDto(
    string Id,
    string Type,
    string TenantId,
    EventActorDto Actor,
    string? OnBehalfOf,
    EventResourceDto Resource,
    EventResourceDto? Related,
    IReadOnlyList<string> Changes,
    string? RequestId,
    DateTimeOffset CreatedAt);
