using Prometheus;

namespace Medins.Platform.Hosting.Data;

/// <summary>
/// No remote call while a database transaction is open: it would hold row locks and a pooled connection for as long
/// as another service takes to answer. <see cref="PlatformDatabase"/> marks the flow that runs a transaction; outgoing
/// gRPC calls and event deliveries check the mark, so a breach fails the first test that walks it.
/// </summary>
public static class RemoteCallGuard
{
    private static readonly AsyncLocal<bool> Open = new();
    private static readonly Counter Refused = Metrics.CreateCounter("medins_remote_calls_in_transaction_total",
        "Remote calls refused because a database transaction was open on the calling flow (a programming error).", "call");

    /// <summary>Whether this flow runs inside a transaction of <see cref="PlatformDatabase"/>.</summary>
    public static bool TransactionOpen => Open.Value;

    /// <summary>Marks the current flow; an async method's change ends with it, so only the transaction's work sees it.</summary>
    internal static void MarkTransactionOpen() => Open.Value = true;

    /// <summary>Throws when <paramref name="call"/> would start inside a database transaction.</summary>
    public static void EnsureNoTransaction(string call)
    {
        if (!Open.Value) return;
        Refused.WithLabels(call).Inc();
        throw new InvalidOperationException(
            $"Remote call {call} started while a database transaction is open: make it before or after the transaction.");
    }
}
