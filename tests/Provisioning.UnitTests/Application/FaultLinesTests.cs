using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using Provisioning.Application.Common.Logging;

namespace Provisioning.UnitTests.Application;

public sealed class FaultLinesTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 19, 30, 0, TimeSpan.Zero));
    private readonly RecordingLogger<FaultLines> _log = new();

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
    public void TheFirstOfAKindInAMinute_HasItsStackTrace_TheNextNineALineEach_TheRestALineAMinuteThatCountsThem()
    {
        // A database outage under load: a line per failed request was thousands of lines a second.
        using var lines = new FaultLines(_clock, _log);
        var fault = new Exception("wrapped", ThrownAtOnePlace("connection refused"));
        Assert.Equal(FaultLine.WithStackTrace, lines.Next(fault, 503));
        for (var i = 1; i < FaultLines.OwnLinesPerMinute; i++)
        {
            Assert.Equal(FaultLine.WithoutStackTrace, lines.Next(fault, 503));
        }

        Assert.Empty(_log.Lines); // those lines are the caller's, with its request's scopes

        // The eleventh is the first of the rest: counted, and said at once as one more.
        Assert.Equal(FaultLine.Counted, lines.Next(fault, 503));
        Assert.Equal(["Error Request failed with 503 (InvalidOperationException: connection refused) 1 more time(s) since 2026-12-07 19:30:00Z, " +
                      "without a line each (the first 10 of a kind a minute have one, with the request id)"], _log.Lines);
        _clock.Advance(TimeSpan.FromSeconds(20));
        for (var i = 0; i < 500; i++)
        {
            Assert.Equal(FaultLine.Counted, lines.Next(fault, 503));
        }

        Assert.Single(_log.Lines);

        // A minute after the first of the rest, how many more, said by itself (a timer) though none come after them.
        _clock.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(2, _log.Lines.Count);
        Assert.StartsWith("Error Request failed with 503 (InvalidOperationException: connection refused) 500 more time(s) since 2026-12-07 19:30:00Z,", _log.Lines[^1]);

        // A minute after the first, the kind starts again: its trace, then lines of their own.
        Assert.Equal(FaultLine.WithStackTrace, lines.Next(fault, 503));
        Assert.Equal(FaultLine.WithoutStackTrace, lines.Next(fault, 503));
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(2, _log.Lines.Count); // nothing held back: nothing more said
    }

    [Fact]
    public void AKind_IsTheStatusTheTypesAndWhereTheInnermostWasThrown()
    {
        using var lines = new FaultLines(_clock, _log);
        var text = "the same text";
        Assert.Equal(FaultLine.WithStackTrace, lines.Next(ThrownAtOnePlace(text), 500));
        Assert.Equal(FaultLine.WithoutStackTrace, lines.Next(ThrownAtOnePlace(text), 500)); // the same again: no trace
        Assert.Equal(FaultLine.WithStackTrace, lines.Next(ThrownAtAnother(text), 500));     // another bug with that text: its own
        Assert.Equal(FaultLine.WithStackTrace, lines.Next(ThrownAtOnePlace(text), 503));    // answered otherwise: its own
        Assert.Equal(FaultLine.WithStackTrace, lines.Next(new Exception("wrapped", ThrownAtOnePlace(text)), 500)); // another wrapper
        Assert.Equal(FaultLine.WithStackTrace, lines.Next(ThrownAtOnePlace("another text"), 500));
    }

    [Fact]
    public void FaultsOfOneKindAtOnce_HaveOneStackTrace()
    {
        // Read, then set: two identical 57P01 faults 30 ms apart both logged their trace (an operator's probe). Two threads
        // released together, many times over, each time with a kind of its own: exactly one of each pair may have the trace.
        using var lines = new FaultLines(_clock, _log);
        var doubles = 0;
        for (var round = 0; round < 300; round++)
        {
            var text = $"at once {round}";
            var (first, second) = (ThrownAtOnePlace(text), ThrownAtOnePlace(text));
            var go = 0;
            var got = new FaultLine[2];
            var threads = new[] { first, second }.Select((fault, i) => new Thread(() =>
            {
                while (Volatile.Read(ref go) == 0)
                {
                }

                got[i] = lines.Next(fault, 503);
            })).ToArray();
            foreach (var thread in threads)
            {
                thread.Start();
            }

            Volatile.Write(ref go, 1);
            foreach (var thread in threads)
            {
                thread.Join();
            }

            Assert.Contains(FaultLine.WithStackTrace, got);
            doubles += got.All(line => line == FaultLine.WithStackTrace) ? 1 : 0;
        }

        Assert.Equal(0, doubles);
    }

    [Fact]
    public void ManyAtOnce_AreEachEitherALineOrCountedOnce()
    {
        var lines = new FaultLines(_clock, _log);
        var fault = ThrownAtOnePlace("many");
        var got = new FaultLine[20_000];
        Parallel.For(0, got.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => got[i] = lines.Next(fault, 503));
        lines.Dispose(); // says what it holds back

        Assert.Equal(1, got.Count(line => line == FaultLine.WithStackTrace));
        Assert.Equal(FaultLines.OwnLinesPerMinute - 1, got.Count(line => line == FaultLine.WithoutStackTrace));
        var counted = _log.Lines.Select(line => Regex.Match(line, @"^Error Request failed with 503 \(InvalidOperationException: many\) (\d+) more time\(s\) since ")).ToList();
        Assert.All(counted, match => Assert.True(match.Success, match.Value));
        Assert.Equal(got.Count(line => line == FaultLine.Counted), counted.Sum(m => long.Parse(m.Groups[1].Value)));
    }

    [Fact]
    public void WhatIsHeldBack_IsSaidAtShutdown_AndAKindThatVariesDoesNotPileUp()
    {
        var lines = new FaultLines(_clock, _log);
        var fault = ThrownAtOnePlace("held");
        for (var i = 0; i < FaultLines.OwnLinesPerMinute + 4; i++)
        {
            lines.Next(fault, 500);
        }

        Assert.Single(_log.Lines); // the first of the rest
        for (var i = 0; i < 2_500; i++)
        {
            Assert.Equal(FaultLine.WithStackTrace, lines.Next(ThrownAtOnePlace($"varies {i}"), 500));
        }

        // Past a thousand kinds they are forgotten, and what they held back said: "held"'s three.
        Assert.Equal(2, _log.Lines.Count);
        Assert.StartsWith("Error Request failed with 500 (InvalidOperationException: held) 3 more time(s) since ", _log.Lines[^1]);
        lines.Dispose();
        Assert.Equal(2, _log.Lines.Count);
    }
}
