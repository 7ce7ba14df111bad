namespace Provisioning.Infrastructure.Persistence;

/// <summary>Where an offset page of a tenant starts (<see cref="FirstId"/>, inclusive) under one version of its apps.</summary>
internal readonly record struct OffsetAnchor(string Version, string FirstId);
