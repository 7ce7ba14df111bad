namespace Provisioning.Application.Events;

/// <summary>Who made a change: the key (null for the operator), its kind and its own tenant.</summary>
public sealed record EventActorDto(string? KeyId, string Kind, string? TenantId);
