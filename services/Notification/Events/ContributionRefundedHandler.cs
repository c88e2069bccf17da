using Medins.Notification.Domain;
using Medins.Payment.V1;
using Medins.Platform.Hosting.Messaging;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.Notification.Events;

/// <summary>A refund tells the resident how much was refunded and when.</summary>
public sealed class ContributionRefundedHandler(TemplatedMessages messages, ILogger<ContributionRefundedHandler> logger)
    : IEventHandler<ContributionRefunded>
{
    public Task HandleAsync(InboundEvent<ContributionRefunded> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var refunded = evt.Data;
        if (!ResidentEvent.Check(logger, evt.Topic, evt.Id, evt.TenantId, refunded.TenantId, refunded.ResidentId))
            return Task.CompletedTask;
        var values = MessageValues.Refund(refunded.CoverageYear, refunded.RefundedAmountFen, refunded.RefundTime?.ToDateTimeOffset());
        return messages.WriteAsync(conn, tx, evt.TenantId, evt.Id, refunded.ResidentId, MessageValues.RefundNotice, values, ct);
    }
}
