namespace Provisioning.WebApi.Contracts;

/// <summary>The empty object some routes answer with.</summary>
public sealed record EmptyResponse;
