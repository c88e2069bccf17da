using Medins.Payment.V1;
using Medins.Platform.Hosting.Messaging;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.QuotaTracking.Events;

/// <summary>
/// A refunded contribution takes the person out of the village's enrolled count, records the refund, and takes the
/// refunded amount off the amount collected (which is therefore net of refunds).
/// </summary>
public sealed class ContributionRefundedHandler(TimeProvider time, ILogger<ContributionRefundedHandler> logger)
    : IEventHandler<ContributionRefunded>
{
    public async Task HandleAsync(InboundEvent<ContributionRefunded> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var refunded = evt.Data;
        if (!CountableEvent.Check(logger, evt.Topic, evt.Id, evt.TenantId, refunded.TenantId, refunded.VillageCode, refunded.CoverageYear))
            return;

        // Relative, like the payment upsert: a refund delivered before its payment still nets out once both arrive.
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO village_counters (tenant_id, coverage_year, village_code, enrolled_count, collected_amount_fen, refunded_count, updated_at)
            VALUES ($1, $2, $3, -1, -$4, 1, $5)
            ON CONFLICT (tenant_id, coverage_year, village_code) DO UPDATE SET
              enrolled_count = village_counters.enrolled_count - 1,
              collected_amount_fen = village_counters.collected_amount_fen + EXCLUDED.collected_amount_fen,
              refunded_count = village_counters.refunded_count + 1,
              updated_at = EXCLUDED.updated_at
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = evt.TenantId });
        cmd.Parameters.Add(new() { Value = refunded.CoverageYear });
        cmd.Parameters.Add(new() { Value = refunded.VillageCode });
        cmd.Parameters.Add(new() { Value = refunded.RefundedAmountFen });
        cmd.Parameters.Add(new() { Value = time.GetUtcNow() });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
