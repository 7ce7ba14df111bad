using Microsoft.Extensions.Logging;

namespace Provisioning.UnitTests;

/// <summary>Keeps each line logged as "Level message", for tests that assert what a class says and how often.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    public List<string> Lines { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    // Under a lock: a test may log from many threads at once (a List's concurrent adds lost lines: 8 of 10 in a CI run).
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var line = $"{logLevel} {formatter(state, exception)}";
        lock (Lines)
        {
            Lines.Add(line);
        }
    }
}
