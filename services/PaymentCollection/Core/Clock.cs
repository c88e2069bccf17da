using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Core;

/// <summary>
/// The service's times, from the injected clock at the precision PostgreSQL keeps (microseconds), so a value answered
/// now equals the same value read back later.
/// </summary>
public static class Microseconds
{
    public static DateTimeOffset Now(TimeProvider time) => Truncate(time.UtcNow());

    public static DateTimeOffset Truncate(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % 10, TimeSpan.Zero);
}
