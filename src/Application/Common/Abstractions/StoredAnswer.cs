namespace Provisioning.Application.Common.Abstractions;

/// <summary>An answer as it was sent: status, content type, <c>Location</c> and body bytes.</summary>
public sealed record StoredAnswer(int Status, string? ContentType, string? Location, byte[] Body);
