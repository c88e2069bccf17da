namespace Medins.Notification.Domain;

/// <summary>When a message the provider could not take now is tried again, and when it is given up.</summary>
public sealed record RetrySchedule(TimeSpan FirstDelay, TimeSpan MaxDelay, int MaxAttempts)
{
    public static RetrySchedule Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromHours(1), 6);

    /// <summary>Null when <paramref name="attemptsMade"/> used the last attempt; otherwise the delay before the next.</summary>
    public TimeSpan? DelayAfter(int attemptsMade, TimeSpan? providerAsked = null)
    {
        if (attemptsMade >= MaxAttempts) return null;
        // Doubling from the first delay, capped; a provider's own Retry-After wins when it is longer.
        var exponent = Math.Min(attemptsMade - 1, 20);
        var delay = TimeSpan.FromTicks(Math.Min(FirstDelay.Ticks * (1L << Math.Max(exponent, 0)), MaxDelay.Ticks));
        return providerAsked is { } asked && asked > delay ? asked : delay;
    }
}
