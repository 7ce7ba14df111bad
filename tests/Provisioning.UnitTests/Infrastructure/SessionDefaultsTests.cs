using Provisioning.Infrastructure.Persistence;

namespace Provisioning.UnitTests.Infrastructure;

public sealed class SessionDefaultsTests
{
    private static readonly string[] None = [];
    private static readonly string[] Short = ["0/16384 lock_timeout=20ms", "16385/0 work_mem=4MB"];
    private static readonly string[] ShortAndReadOnly = ["0/16384 default_transaction_read_only=on", "0/16384 lock_timeout=20ms", "16385/0 work_mem=4MB"];

    [Fact]
    public void NoLoginYet_NothingIsStale()
    {
        Assert.Null(new SessionDefaults(new RecordingLogger<SessionDefaults>()).ChangedSince(Short));
    }

    [Fact]
    public void EveryLoginAsTheCatalogIsNow_NothingIsStale()
    {
        var defaults = new SessionDefaults(new RecordingLogger<SessionDefaults>());
        defaults.LoggedIn(Short);
        defaults.LoggedIn([.. Short]);
        Assert.Null(defaults.ChangedSince([.. Short]));
    }

    [Fact]
    public void ALoginUnderSettingsSinceChanged_NamesEachSettingChanged_ButNoValue()
    {
        var defaults = new SessionDefaults(new RecordingLogger<SessionDefaults>());
        defaults.LoggedIn(None);
        defaults.LoggedIn(ShortAndReadOnly);
        defaults.LoggedIn(Short);
        Assert.Equal(["default_transaction_read_only", "lock_timeout", "work_mem"], defaults.ChangedSince(Short));
        Assert.Equal(["default_transaction_read_only", "lock_timeout", "work_mem"], defaults.ChangedSince(ShortAndReadOnly)); // the first login's none
        Assert.Equal(["default_transaction_read_only", "lock_timeout", "work_mem"], defaults.ChangedSince(None));
    }

    [Fact]
    public void ASettingMovedFromTheRoleToTheDatabase_IsAChange()
    {
        var defaults = new SessionDefaults(new RecordingLogger<SessionDefaults>());
        defaults.LoggedIn(["0/16384 statement_timeout=5s"]);
        Assert.Equal(["statement_timeout"], defaults.ChangedSince(["16385/0 statement_timeout=5s"]));
    }

    [Fact]
    public void AfterTheSessionsAreReplaced_OnlyLaterLoginsCount()
    {
        var defaults = new SessionDefaults(new RecordingLogger<SessionDefaults>());
        defaults.LoggedIn(ShortAndReadOnly);
        defaults.Forget();
        Assert.Null(defaults.ChangedSince(Short));
        defaults.LoggedIn(Short);
        Assert.Null(defaults.ChangedSince(Short));
        Assert.Equal(["default_transaction_read_only"], defaults.ChangedSince(ShortAndReadOnly));
    }

    [Fact]
    public void ASessionWhoseSettingsCouldNotBeRead_IsStaleOnceAChangeIsSeenAfterItsLogin_AndNotBefore()
    {
        // A role's statement_timeout of a millisecond cancels the login's own question: unrecorded, the session was never
        // found stale (a probe); taken for the catalog last seen, it looked fresh when the change was not seen yet (a review).
        string[] before = ["0/16384 statement_timeout=30s"];
        string[] millisecond = ["0/16384 statement_timeout=1"];
        var defaults = new SessionDefaults(new RecordingLogger<SessionDefaults>());
        defaults.Seen(before);
        defaults.LoggedInUnread(); // logged in under 30 s, or already under 1 ms: not known
        Assert.Null(defaults.ChangedSince(before));

        defaults.Seen(millisecond); // the change seen after its login: it may hold the old settings
        Assert.Equal(["statement_timeout"], defaults.ChangedSince(millisecond));

        defaults.Forget(); // replaced; the new sessions cannot read theirs either
        defaults.LoggedInUnread();
        defaults.Seen(millisecond);
        Assert.Null(defaults.ChangedSince(millisecond)); // no change seen since: no replacing in a loop

        defaults.Seen(before); // reset
        Assert.Equal(["statement_timeout"], defaults.ChangedSince(before));
    }

    [Fact]
    public void ASessionUnreadBeforeAnyComparison_IsStaleAtTheFirst_Once()
    {
        // Logged in under a setting reset before the first comparison read the catalog: that first read is all there is.
        string[] reset = [];
        var defaults = new SessionDefaults(new RecordingLogger<SessionDefaults>());
        defaults.LoggedInUnread();
        defaults.Seen(reset);
        Assert.Equal(["unread at login"], defaults.ChangedSince(reset));

        defaults.Forget();
        defaults.LoggedInUnread(); // the new sessions, unread too: counted at the catalog seen, not again
        defaults.Seen(reset);
        Assert.Null(defaults.ChangedSince(reset));
    }
}
