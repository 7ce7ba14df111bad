using System.Text.Json;
using Provisioning.Domain.Common;

namespace Provisioning.Domain.Apps;

/// <summary>A workspace of one tenant. Apps never share data.</summary>
public sealed class App
{
    private App()
    {
        DisplayName = string.Empty;
        Settings = AppSettings.Default;
    }

    public AppId Id { get; private set; }
    public TenantId TenantId { get; private set; }
    public string DisplayName { get; private set; }
    public AppSettings Settings { get; private set; }

    /// <summary>
    /// The app's publishable token (Sunshine v1.1 <c>appToken</c>): unique, stable for the app's life, not a secret,
    /// and it grants no API access. Front ends may carry it to name the app.
    /// </summary>
    public string AppToken { get; private set; } = string.Empty;

    /// <summary>Canonical JSON of a flat object, or null.</summary>
    public string? Metadata { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public static App Create(TenantId tenant, string? displayName, AppSettingsChange? settings, JsonElement? metadata, DateTimeOffset now) =>
        new()
        {
            Id = AppId.New(),
            TenantId = tenant,
            DisplayName = Common.DisplayName.Normalize(displayName),
            AppToken = Apps.AppToken.New(),
            Settings = AppSettings.Default.With(settings ?? new AppSettingsChange()),
            Metadata = AppMetadata.Validate(metadata),
            CreatedAt = now,
        };

    /// <summary>A service account is granted the apps it creates: the grant for <paramref name="creator"/>, or null for other creators.</summary>
    public ServiceAccounts.AppGrant? GrantToCreator(ServiceAccountId? creator, DateTimeOffset now) =>
        creator is { } serviceAccount ? ServiceAccounts.AppGrant.Create(serviceAccount, Id, now) : null;

    /// <returns>Whether the name is another than it was (each of these says so: an event names only what changed).</returns>
    public bool Rename(string? displayName)
    {
        if (!Common.DisplayName.Changes(DisplayName, displayName, out var next))
        {
            return false;
        }

        DisplayName = next;
        return true;
    }

    /// <returns>Whether any setting is another than it was.</returns>
    public bool ChangeSettings(AppSettingsChange change)
    {
        var before = Settings;
        Settings = Settings.With(change);
        return Settings != before;
    }

    /// <summary>Merges metadata key by key; a null key removes it, a null object clears all.</summary>
    /// <returns>
    /// Whether the metadata is other than it was, compared by value (<c>1.0</c> is <c>1</c>, as a client that parsed and sent it
    /// back has it); an equal one keeps its text, so nothing is written.
    /// </returns>
    public bool MergeMetadata(JsonElement change)
    {
        var next = AppMetadata.Merge(Metadata, change);
        if (AppMetadata.AreEqual(Metadata, next))
        {
            return false;
        }

        Metadata = next;
        return true;
    }
}
