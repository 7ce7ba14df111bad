namespace Provisioning.Application.Events;

/// <summary>A resource an event names: <c>{"type":"app","id":"…"}</c>.</summary>
public sealed record EventResourceDto(string Type, string Id);
