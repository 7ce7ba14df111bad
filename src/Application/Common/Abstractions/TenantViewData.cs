namespace Provisioning.Application.Common.Abstractions;

/// <summary>What <see cref="ITenantViewReads"/> reads for one tenant.</summary>
/// <param name="AncestorSettingsRootFirst">Every ancestor's own settings, the root's first (the tenant's own are on its row).</param>
/// <param name="AppCount">The tenant's own apps, from its counters (no row count).</param>
/// <param name="Users">Its users' emails, in order.</param>
/// <param name="LastEventAt">When the last event filed under the tenant was recorded, if any.</param>
public sealed record TenantViewData(
    IReadOnlyList<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> AncestorSettingsRootFirst,
    int AppCount,
    IReadOnlyList<string> Users,
    DateTimeOffset? LastEventAt);
