using Medins.Payment.V1;
using Medins.Platform.Hosting.Messaging;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.QuotaTracking.Events;

/// <summary>
/// A full refund ends the person's enrolment and withdraws her subsidy lines; a differential refund keeps it,
/// returns the newly subsidised part and grants the new lines. Either waits for its payment if it comes first.
/// </summary>
public sealed class ContributionRefundedHandler(ContributionLedger ledger, ILogger<ContributionRefundedHandler> logger)
    : IEventHandler<ContributionRefunded>
{
    public async Task HandleAsync(InboundEvent<ContributionRefunded> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var refunded = evt.Data;
        if (!CountableEvent.Check(logger, evt.Topic, evt.Id, evt.TenantId, refunded.TenantId, refunded.VillageCode, refunded.CoverageYear,
                refunded.OrderId))
            return;
        await ledger.RefundAsync(conn, tx, evt.TenantId, evt.Id, refunded, ct);
    }
}
