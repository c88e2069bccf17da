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
            ToDateOnly(paid.BenefitStartDate), ToDateOnly(paid.BenefitEndDate));
        return messages.WriteAsync(conn, tx, evt.TenantId, evt.Id, paid.ResidentId, MessageValues.PaymentReceipt, values, ct);
    }

    private static DateOnly? ToDateOnly(Google.Type.Date? date) =>
        date is { Year: >= 1 and <= 9999, Month: >= 1 and <= 12, Day: >= 1 } && date.Day <= DateTime.DaysInMonth(date.Year, date.Month)
            ? new DateOnly(date.Year, date.Month, date.Day)
            : null;
}
