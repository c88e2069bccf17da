using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Medins.Platform.Testing;

/// <summary>One log entry: category, level, event name, rendered message and the structured fields.</summary>
public sealed record CapturedLogEntry(string Category, LogLevel Level, string? EventName, string Message,
    IReadOnlyDictionary<string, object?> Fields);

/// <summary>A logger provider that keeps every entry the host's filters let through, to assert on what a service logs.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLogEntry> _entries = new();

    public IReadOnlyList<CapturedLogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    /// <summary>Waits for entries matching <paramref name="match"/>: a line written as a call ends can trail its answer.</summary>
    public async Task<IReadOnlyList<CapturedLogEntry>> WaitForAsync(Func<CapturedLogEntry, bool> match, int count = 1)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var found = Entries.Where(match).ToList();
            if (found.Count >= count || DateTime.UtcNow > deadline) return found;
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<CapturedLogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.First().Value)
                : new Dictionary<string, object?>();
            entries.Enqueue(new CapturedLogEntry(category, logLevel, eventId.Name, formatter(state, exception), fields));
        }
    }
}
