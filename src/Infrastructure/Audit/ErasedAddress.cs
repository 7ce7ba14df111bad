namespace Provisioning.Infrastructure.Audit;

/// <summary>What <see cref="AddressErasure"/> did: the pseudonym its events now carry (none when it had none), how many, and how many stored answers went.</summary>
public sealed record ErasedAddress(string? Pseudonym, int Events, int StoredAnswers);
