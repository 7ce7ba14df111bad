namespace Provisioning.Infrastructure.Persistence;

/// <summary>Where an offset page of a list starts (<see cref="FirstId"/>, inclusive) under one version of them.</summary>
internal readonly record struct OffsetAnchor(string Version, string FirstId);
