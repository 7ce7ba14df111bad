using Microsoft.Extensions.Time.Testing;
using Provisioning.Infrastructure.Credentials;

namespace Provisioning.UnitTests.Infrastructure;

public sealed class RecentNamesTests
{
    private static readonly TimeSpan Period = TimeSpan.FromHours(1);

    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void ANameAdded_IsFound_AndNoOtherIs_NorAPairSplitElsewhere()
    {
        var names = new RecentNames(Period, 100, _clock);
        names.Add("203.0.113.7", "act_0123456789abcdef01234567");
        names.Add("act_0123456789abcdef01234567");

        Assert.True(names.Contains("203.0.113.7", "act_0123456789abcdef01234567"));
        Assert.True(names.Contains("act_0123456789abcdef01234567"));
        Assert.False(names.Contains("203.0.113.7", "act_0123456789abcdef01234568"));
        Assert.False(names.Contains("203.0.113.8", "act_0123456789abcdef01234567"));
        Assert.False(names.Contains("203.0.113.7 act_0123456789abcdef01234567"));
        Assert.False(names.Contains("203.0.113.7act_0123456789abcdef01234567"));
        Assert.False(names.Contains("203.0.113", ".7act_0123456789abcdef01234567"));
        Assert.False(names.Contains("act_0123456789abcdef01234567", "203.0.113.7"));
        Assert.Equal(2, names.Count);
    }

    [Fact]
    public void ANameNotSeenAgain_IsKeptAtLeastAPeriod_AndForgottenByTheEndOfTwo()
    {
        var names = new RecentNames(Period, 100, _clock);
        _clock.Advance(TimeSpan.FromMinutes(59));
        names.Add("late in its period");
        _clock.Advance(TimeSpan.FromMinutes(1));
        names.Add("early in its period");

        _clock.Advance(Period - TimeSpan.FromTicks(1));
        Assert.Equal(2, names.Count);

        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(1, names.Count);
        Assert.False(names.Contains("late in its period"));

        _clock.Advance(Period - TimeSpan.FromTicks(1));
        Assert.Equal(1, names.Count);
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(0, names.Count);
        Assert.False(names.Contains("early in its period"));
    }

    [Fact]
    public void ANameFoundAgain_IsRememberedAfresh_AndOneRemovedIsGone()
    {
        var names = new RecentNames(Period, 100, _clock);
        names.Add("in use");
        names.Add("removed");
        for (var hour = 0; hour < 5; hour++)
        {
            _clock.Advance(Period);
            Assert.True(names.Contains("in use"));
        }

        Assert.False(names.Contains("removed"));
        names.Add("removed");
        names.Remove("removed");
        Assert.False(names.Contains("removed"));
        Assert.True(names.Contains("in use"));
    }

    [Fact]
    public void AfterALongQuiet_NothingIsKept()
    {
        var names = new RecentNames(Period, 100, _clock);
        names.Add("before the quiet");
        _clock.Advance(3 * Period);
        Assert.False(names.Contains("before the quiet"));
    }

    [Fact]
    public void AtCapacity_TheOlderGenerationIsForgottenEarly_AndNoMoreThanTwiceItIsHeld()
    {
        var names = new RecentNames(Period, 10, _clock);
        for (var i = 0; i < 10; i++)
        {
            names.Add($"first {i}");
        }

        for (var i = 0; i < 10; i++)
        {
            names.Add($"second {i}");
        }

        Assert.Equal(20, names.Count);

        // Found, "first 0" moves into the current generation, which is full: it turns, and the other firsts are forgotten.
        Assert.True(names.Contains("first 0"));
        Assert.Equal(11, names.Count);
        names.Add("third 0");
        Assert.Equal(12, names.Count);
        Assert.True(names.Contains("first 0"));
        Assert.True(names.Contains("second 9"));
        Assert.False(names.Contains("first 1"));
        Assert.True(names.Contains("third 0"));
    }

    [Fact]
    public void ANameLookedForWithoutRefresh_IsKeptOnlyFromItsAdding()
    {
        var names = new RecentNames(Period, 100, _clock);
        names.Add("failed once");
        _clock.Advance(1.5 * Period);
        Assert.True(names.WasAdded("failed once"));
        _clock.Advance(0.5 * Period);
        Assert.False(names.WasAdded("failed once"));
    }

    [Fact]
    public void AnEarlyTurn_IsSaidForTheRestOfItsPeriodAndTheNext()
    {
        var names = new RecentNames(Period, 2, _clock);
        names.Add("one");
        names.Add("two");
        Assert.False(names.ForgotEarlyLately);
        names.Add("three");
        names.Add("four");
        names.Add("five"); // the second turn: "one" and "two" are gone within their period
        Assert.False(names.WasAdded("one"));
        Assert.True(names.ForgotEarlyLately);
        _clock.Advance(Period);
        Assert.True(names.ForgotEarlyLately);
        _clock.Advance(Period);
        Assert.False(names.ForgotEarlyLately);
    }

    [Fact]
    public void ALongName_IsHeldAsWellAsAShortOne()
    {
        var names = new RecentNames(Period, 100, _clock);
        var longName = new string('k', 5_000);
        names.Add("203.0.113.7", longName);
        Assert.True(names.Contains("203.0.113.7", longName));
        Assert.False(names.Contains("203.0.113.7", longName.AsSpan(0, longName.Length - 1)));
    }
}
