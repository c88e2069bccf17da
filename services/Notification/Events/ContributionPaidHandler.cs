using Medins.Notification.Domain;
using Medins.Notification.Messages;
using Medins.Payment.V1;
using Medins.Platform.Hosting.Messaging;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.Notification.Events;

/// <summary>A settled contribution sends the resident a receipt with the amount and the benefit period.</summary>
public sealed class ContributionPaidHandler(MessageWriter writer, TimeProvider time, ILogger<ContributionPaidHandler> logger)
    : IEventHandler<ContributionPaid>
{
    public async Task HandleAsync(InboundEvent<ContributionPaid> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var paid = evt.Data;
        if (!ResidentEvent.Check(logger, evt.Topic, evt.Id, evt.TenantId, paid.TenantId, paid.ResidentId)) return;
        var values = MessageValues.Payment(paid.CoverageYear, paid.PersonalAmountFen,
            paid.BenefitStartDate.ToDateOnly(), paid.BenefitEndDate.ToDateOnly(), paid.ReceiptNumber);
        await writer.EnqueueAsync(conn, tx, new NewMessage(evt.TenantId, RecipientKinds.Resident, paid.ResidentId,
            TemplateKeys.PaymentReceipt, values, time.GetUtcNow(), SourceEventId: evt.Id), ct);
    }
}
