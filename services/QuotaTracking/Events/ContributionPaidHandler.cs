using Medins.Payment.V1;
using Medins.Platform.Hosting.Messaging;
using Medins.QuotaTracking.Data;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.QuotaTracking.Events;

/// <summary>A settled contribution enrols one person in her village, group, channel and key groups, and adds her
/// subsidy lines to what each fund owes.</summary>
public sealed class ContributionPaidHandler(ContributionLedger ledger, ILogger<ContributionPaidHandler> logger)
    : IEventHandler<ContributionPaid>
{
    public async Task HandleAsync(InboundEvent<ContributionPaid> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var paid = evt.Data;
        if (!CountableEvent.Check(logger, evt.Topic, evt.Id, evt.TenantId, paid.TenantId, paid.VillageCode, paid.CoverageYear, paid.OrderId))
            return;
        if (!await ledger.PayAsync(conn, tx, evt.TenantId, evt.Id, paid, ct)) return;

        // Inside the inbox claim, so a duplicate delivery never counts; a commit failing after this line would count
        // the redelivery again, which a throughput metric tolerates.
        QuotaMetrics.PaymentsApplied.WithLabels(evt.TenantId, QuotaMetrics.ChannelLabel(CounterDimensions.ChannelKey(paid.Channel))).Inc();
    }
}
