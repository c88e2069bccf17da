using Medins.Notification.Data;
using Medins.Notification.Domain;
using Medins.Notification.Messages;
using Medins.Payment.V1;
using Medins.Platform.Hosting.Messaging;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.Notification.Events;

/// <summary>A refund tells the resident how much was refunded and when.</summary>
public sealed class ContributionRefundedHandler(MessageWriter writer, TimeProvider time, ILogger<ContributionRefundedHandler> logger)
    : IEventHandler<ContributionRefunded>
{
    public async Task HandleAsync(InboundEvent<ContributionRefunded> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var refunded = evt.Data;
        if (!ResidentEvent.Check(logger, evt.Topic, evt.Id, evt.TenantId, refunded.TenantId, refunded.ResidentId)) return;
        var values = MessageValues.Refund(refunded.CoverageYear, refunded.RefundedAmountFen, refunded.RefundTime?.ToDateTimeOffset());
        await writer.EnqueueAsync(conn, tx, new NewMessage(evt.TenantId, RecipientKinds.Resident, refunded.ResidentId,
            TemplateKeys.RefundNotice, values, time.GetUtcNow(), SourceEventId: evt.Id), ct);
    }
}
