using Medins;
using Medins.Notification.Domain;
using Medins.Payment.V1;
using Medins.Platform.Hosting.Messaging;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.Notification.Events;

/// <summary>A settled contribution sends the resident a receipt with the amount and the benefit period.</summary>
public sealed class ContributionPaidHandler(TemplatedMessages messages, ILogger<ContributionPaidHandler> logger)
    : IEventHandler<ContributionPaid>
{
    public Task HandleAsync(InboundEvent<ContributionPaid> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var paid = evt.Data;
        if (!ResidentEvent.Check(logger, evt.Topic, evt.Id, evt.TenantId, paid.TenantId, paid.ResidentId))
            return Task.CompletedTask;
        var values = MessageValues.Payment(paid.CoverageYear, paid.PersonalAmountFen,
            paid.BenefitStartDate.ToDateOnly(), paid.BenefitEndDate.ToDateOnly());
        return messages.WriteAsync(conn, tx, evt.TenantId, evt.Id, paid.ResidentId, MessageValues.PaymentReceipt, values, ct);
    }
}
