using Medins.Notification.Data;
using Medins.Notification.Domain;
using Medins.Notification.Messages;
using Medins.Payment.V1;
using Medins.Platform.Hosting.Messaging;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.Notification.Events;

/// <summary>A settled contribution sends the resident a receipt with the amount and the benefit period.</summary>
public sealed class ContributionPaidHandler(MessageWriter writer, TimeProvider time, ILogger<ContributionPaidHandler> logger)
    : IEventBatchHandler<ContributionPaid>
{
    public Task HandleAsync(InboundEvent<ContributionPaid> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct) =>
        HandleBatchAsync([evt], conn, tx, ct);

    /// <summary>Templates, quiet hours and the residents' preferences read once for the batch (one tenant), as a campaign page does.</summary>
    public async Task HandleBatchAsync(IReadOnlyList<InboundEvent<ContributionPaid>> events, NpgsqlConnection conn, NpgsqlTransaction tx,
        CancellationToken ct)
    {
        var receipts = events.Where(e => ResidentEvent.Check(logger, e.Topic, e.Id, e.TenantId, e.Data.TenantId, e.Data.ResidentId)).ToList();
        if (receipts.Count == 0) return;
        var tenantId = receipts[0].TenantId;
        var batch = await writer.BatchAsync(conn, tx, tenantId, TemplateKeys.PaymentReceipt, ct);
        var preferences = await ContactBook.PreferencesAsync(conn, tx, tenantId, [.. receipts.Select(e => e.Data.ResidentId).Distinct()], ct);
        foreach (var evt in receipts)
        {
            var paid = evt.Data;
            var values = MessageValues.Payment(paid.CoverageYear, paid.PersonalAmountFen,
                paid.BenefitStartDate.ToDateOnly(), paid.BenefitEndDate.ToDateOnly(), paid.ReceiptNumber);
            await batch.EnqueueAsync(conn, tx, new NewMessage(evt.TenantId, RecipientKinds.Resident, paid.ResidentId,
                TemplateKeys.PaymentReceipt, values, time.GetUtcNow(), SourceEventId: evt.Id),
                RecipientFacts.Of(preferences.GetValueOrDefault(paid.ResidentId)), ct);
        }
    }
}
