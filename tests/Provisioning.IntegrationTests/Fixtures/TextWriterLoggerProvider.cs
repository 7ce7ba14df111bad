using Microsoft.Extensions.Logging;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// Log lines written to a <see cref="TextWriter"/> as they come, each with its level, category and exception (its stack trace
/// too): a verb's service's log in the test's process, where the published service writes it to standard error.
/// </summary>
public sealed class TextWriterLoggerProvider(TextWriter writer) : ILoggerProvider
{
    private readonly Lock _gate = new();
    private bool _disposed;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Lines logged after this (work the verb left running, as its service goes) are dropped: the writer is read, then disposed.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }
    }

    private void Write(string line)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                writer.WriteLine(line);
            }
        }
    }

    private sealed class Logger(TextWriterLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Write($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : "\n" + exception)}");
    }
}
