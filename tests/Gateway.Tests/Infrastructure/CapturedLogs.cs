using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Medins.Gateway.Tests.Infrastructure;

/// <summary>One log entry: category, event name, rendered message and the structured fields.</summary>
public sealed record CapturedLog(string Category, string? EventName, string Message, IReadOnlyDictionary<string, object?> Fields);

/// <summary>A logger provider that keeps every entry, to assert on what the gateway logs.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();

    public IReadOnlyList<CapturedLog> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<CapturedLog> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.First().Value)
                : new Dictionary<string, object?>();
            entries.Enqueue(new CapturedLog(category, eventId.Name, formatter(state, exception), fields));
        }
    }
}
