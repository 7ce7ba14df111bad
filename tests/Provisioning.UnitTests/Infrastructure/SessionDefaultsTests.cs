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
}
