using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Medins.QuotaTracking.Tests;

/// <summary>quota-tracking in process on its real database, with the background progress job off: tests take
/// snapshots and refresh gauges themselves, on the day their clock says.</summary>
internal static class QuotaHost
{
    public static ServiceHost<Program> Create(TestDatabase db, TimeProvider? time = null) =>
        new(db, "quota-tracking",
            settings: new Dictionary<string, string?> { ["QuotaTracking:Progress:Enabled"] = "false" },
            services: time is null ? null : s => s.AddSingleton(time));
}
