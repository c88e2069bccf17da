using Medins.Payment.V1;
using Medins.Platform.Hosting.Messaging;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.QuotaTracking.Events;

/// <summary>A settled contribution enrols one person in the village and adds the personal amount collected.</summary>
public sealed class ContributionPaidHandler(TimeProvider time, ILogger<ContributionPaidHandler> logger)
    : IEventHandler<ContributionPaid>
{
    public async Task HandleAsync(InboundEvent<ContributionPaid> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var paid = evt.Data;
        if (!CountableEvent.Check(logger, evt.Topic, evt.Id, evt.TenantId, paid.TenantId, paid.VillageCode, paid.CoverageYear))
            return;

        // One relative upsert: concurrent payments for a village serialise on its row and none is lost.
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO village_counters (tenant_id, coverage_year, village_code, enrolled_count, collected_amount_fen, refunded_count, updated_at)
            VALUES ($1, $2, $3, 1, $4, 0, $5)
            ON CONFLICT (tenant_id, coverage_year, village_code) DO UPDATE SET
              enrolled_count = village_counters.enrolled_count + 1,
              collected_amount_fen = village_counters.collected_amount_fen + EXCLUDED.collected_amount_fen,
              updated_at = EXCLUDED.updated_at
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = evt.TenantId });
        cmd.Parameters.Add(new() { Value = paid.CoverageYear });
        cmd.Parameters.Add(new() { Value = paid.VillageCode });
        cmd.Parameters.Add(new() { Value = paid.PersonalAmountFen });
        cmd.Parameters.Add(new() { Value = time.GetUtcNow() });
        await cmd.ExecuteNonQueryAsync(ct);

        // Inside the inbox claim, so a duplicate delivery never counts; a commit failing after this line would count
        // the redelivery again, which a throughput metric tolerates.
        QuotaMetrics.PaymentsApplied.WithLabels(evt.TenantId).Inc();
    }
}
