using Npgsql;

namespace Medins.PaymentCollection.Data;

/// <summary>
/// The money ledger of one tenant (migration 0010, <c>payment_money_ledger()</c>). Every channel transaction's money is
/// in exactly one place: held by the orders it paid (<see cref="HeldFen"/>: their personal amounts, household members
/// included), carried by one open review item (<see cref="OnQueueFen"/>), or returned to the payer from the queue
/// (<see cref="ReturnedFen"/>). So money received from the channels = held + on queue + returned, always; and no
/// transaction's money is in two places (<see cref="DoubleHeld"/> = 0). Items that repeat a transaction whose money is
/// already placed carry none; a "matched elsewhere" resolution moves an item's money into the order it names.
/// </summary>
public sealed record MoneyLedger(long HeldFen, long OnQueueFen, long ReturnedFen, long DoubleHeld)
{
    public long ReceivedFen => HeldFen + OnQueueFen + ReturnedFen;
}

public static class MoneyLedgerStore
{
    public static async Task<MoneyLedger> ReadAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT held_fen, on_queue_fen, returned_fen, double_held FROM payment_money_ledger()", conn, tx);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new MoneyLedger(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3));
    }
}
