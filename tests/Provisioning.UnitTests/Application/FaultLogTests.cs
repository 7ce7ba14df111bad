using Provisioning.Application.Common.Behaviors;

namespace Provisioning.UnitTests.Application;

public sealed class FaultLogTests
{
    private static Exception ThrownAtOnePlace(string message)
    {
        try
        {
            throw new InvalidOperationException(message);
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }

    private static Exception ThrownAtAnother(string message)
    {
        try
        {
            throw new InvalidOperationException(message);
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }

    [Fact]
    public void AStackTrace_IsLoggedOnceAMinutePerKind_AndAKindIsWhereItWasThrownToo()
    {
        var text = "the same text " + Guid.NewGuid(); // a kind no other test has met
        Assert.True(FaultLog.WantsStackTrace(ThrownAtOnePlace(text)));
        Assert.False(FaultLog.WantsStackTrace(ThrownAtOnePlace(text))); // the same again: one line, no trace
        Assert.True(FaultLog.WantsStackTrace(ThrownAtAnother(text)));   // another bug with that text: its own trace
        Assert.Equal($"InvalidOperationException: {text}", FaultLog.Reason(new Exception("outer", ThrownAtOnePlace(text))));
    }
}
