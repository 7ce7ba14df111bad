namespace Provisioning.Infrastructure.Audit;

/// <summary>
/// What <see cref="AddressErasure"/> did: the pseudonym its events now carry (none when it had none), how many, in how many
/// tenants (each given a <c>tenantUser.erased</c> event), and how many stored answers went.
/// </summary>
public sealed record ErasedAddress(string? Pseudonym, int Events, int Tenants, int StoredAnswers);
