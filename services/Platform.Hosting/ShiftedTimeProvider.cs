using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Medins.Platform.Hosting;

/// <summary>
/// Real time moved to another day, for demos and end-to-end runs of a past campaign: <c>Platform:Clock:Start</c>
/// names the instant the platform's time starts at, <c>Platform:Clock:Anchor</c> the real instant that corresponds
/// to it (default: when the process started), so several processes given the same pair agree. Time then runs on
/// at real speed. Production sets neither and runs on the system clock.
/// </summary>
public sealed class ShiftedTimeProvider(TimeSpan shift) : TimeProvider
{
    public TimeSpan Shift { get; } = shift;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Shift;

    public static TimeProvider FromConfiguration(IConfiguration config)
    {
        var start = config["Platform:Clock:Start"];
        if (string.IsNullOrWhiteSpace(start)) return System;
        var anchor = config["Platform:Clock:Anchor"];
        var realAnchor = string.IsNullOrWhiteSpace(anchor) ? System.GetUtcNow() : DateTimeOffset.Parse(anchor, CultureInfo.InvariantCulture);
        return new ShiftedTimeProvider(DateTimeOffset.Parse(start, CultureInfo.InvariantCulture) - realAnchor);
    }
}
