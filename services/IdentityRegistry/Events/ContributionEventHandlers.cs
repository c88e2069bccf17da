using Medins;
using Medins.Platform.Hosting;
using Medins.IdentityRegistry.Data;
using Medins.IdentityRegistry.Domain;
using Medins.Payment.V1;
using Medins.Platform.Hosting.Messaging;
using Npgsql;

namespace Medins.IdentityRegistry.Events;

/// <summary>contribution.paid: the resident is enrolled for the coverage year by the paying order.</summary>
public sealed class ContributionPaidHandler(TimeProvider time, ILogger<ContributionPaidHandler> logger)
    : IEventBatchHandler<ContributionPaid>
{
    /// <summary>Residents locked in id order, so batches of the three contribution topics never wait on each other in a cycle.</summary>
    public async Task HandleBatchAsync(IReadOnlyList<InboundEvent<ContributionPaid>> events, NpgsqlConnection conn, NpgsqlTransaction tx,
        CancellationToken ct)
    {
        foreach (var evt in events.OrderBy(e => e.Data.ResidentId, StringComparer.Ordinal)) await HandleAsync(evt, conn, tx, ct);
    }

    public async Task HandleAsync(InboundEvent<ContributionPaid> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var paid = evt.Data;
        var problem = EnrolmentEvents.Problem(evt.TenantId, paid.TenantId, paid.ResidentId, paid.OrderId, paid.CoverageYear)
            ?? (paid.PersonalAmountFen < 0 ? "negative personal amount" : null);
        var change = new PaidContribution(paid.OrderId, paid.PersonalAmountFen, paid.BenefitStartDate.ToDateOnly(), paid.BenefitEndDate.ToDateOnly())
        {
            SubsidyLines = EnrolmentEvents.Lines(paid.SubsidyLines),
        };
        await EnrolmentEvents.ApplyAsync(evt, problem, paid.ResidentId, paid.CoverageYear,
            current => EnrolmentRules.OnPaid(current, change), conn, tx, time, logger, ct);
    }
}

/// <summary>
/// contribution.refunded: a full refund ends the enrolment bought by that order, with its reason; a differential
/// refund keeps her enrolled with the personal part and subsidy lines the order now stands for.
/// </summary>
public sealed class ContributionRefundedHandler(TimeProvider time, ILogger<ContributionRefundedHandler> logger)
    : IEventBatchHandler<ContributionRefunded>
{
    /// <summary>Residents locked in id order, so batches of the three contribution topics never wait on each other in a cycle.</summary>
    public async Task HandleBatchAsync(IReadOnlyList<InboundEvent<ContributionRefunded>> events, NpgsqlConnection conn, NpgsqlTransaction tx,
        CancellationToken ct)
    {
        foreach (var evt in events.OrderBy(e => e.Data.ResidentId, StringComparer.Ordinal)) await HandleAsync(evt, conn, tx, ct);
    }

    public Task HandleAsync(InboundEvent<ContributionRefunded> evt, NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var refund = evt.Data;
        var problem = EnrolmentEvents.Problem(evt.TenantId, refund.TenantId, refund.ResidentId, refund.OrderId, refund.CoverageYear)
            ?? (refund.RemainingPersonalAmountFen < 0 ? "negative remaining personal amount" : null);
        Func<EnrolmentState?, EnrolmentState?> rule = refund.Kind == RefundKind.Differential
            ? current => EnrolmentRules.OnDifferentialRefund(current, refund.OrderId, refund.RemainingPersonalAmountFen,
                EnrolmentEvents.Lines(refund.GrantedSubsidyLines))
            : current => EnrolmentRules.OnRefunded(current, refund.OrderId, refund.Reason);
        return EnrolmentEvents.ApplyAsync(evt, problem, refund.ResidentId, refund.CoverageYear, rule, conn, tx, time, logger, ct);
    }
}

/// <summary>contribution.refund-requested: the enrolment bought by that order is suspended while the refund is handled.</summary>
public sealed class ContributionRefundRequestedHandler(TimeProvider time, ILogger<ContributionRefundRequestedHandler> logger)
    : IEventBatchHandler<ContributionRefundRequested>
{
    /// <summary>Residents locked in id order, so batches of the three contribution topics never wait on each other in a cycle.</summary>
    public async Task HandleBatchAsync(IReadOnlyList<InboundEvent<ContributionRefundRequested>> events, NpgsqlConnection conn, NpgsqlTransaction tx,
        CancellationToken ct)
    {
        foreach (var evt in events.OrderBy(e => e.Data.ResidentId, StringComparer.Ordinal)) await HandleAsync(evt, conn, tx, ct);
    }

    public Task HandleAsync(InboundEvent<ContributionRefundRequested> evt, NpgsqlConnection conn, NpgsqlTransaction tx,
        CancellationToken ct)
    {
        var requested = evt.Data;
        var problem = EnrolmentEvents.Problem(evt.TenantId, requested.TenantId, requested.ResidentId, requested.OrderId,
                requested.CoverageYear)
            ?? (string.IsNullOrWhiteSpace(requested.Reason) ? "reason is missing" : null);
        return EnrolmentEvents.ApplyAsync(evt, problem, requested.ResidentId, requested.CoverageYear,
            current => EnrolmentRules.OnRefundRequested(current, requested.OrderId, requested.Reason), conn, tx, time, logger, ct);
    }
}

internal static class EnrolmentEvents
{
    /// <summary>Why an event cannot be applied, or null. Such events are dropped: redelivery would not mend them.</summary>
    public static string? Problem(string envelopeTenant, string payloadTenant, string residentId, string orderId, int coverageYear)
    {
        if (payloadTenant.Length > 0 && payloadTenant != envelopeTenant) return "payload tenant differs from the event's tenant";
        if (!Guid.TryParse(residentId, out _)) return "resident_id is not a UUID";
        if (string.IsNullOrWhiteSpace(orderId)) return "order_id is missing";
        if (coverageYear is < 2000 or > 2100) return "coverage_year is out of range";
        return null;
    }

    public static EnrolmentSubsidyLines Lines(IEnumerable<SubsidyLine> lines) =>
        new([.. lines.Select(l => new EnrolmentSubsidyLine(l.Category, l.FundingSource, l.AmountFen))]);

    public static async Task ApplyAsync<TEvent>(InboundEvent<TEvent> evt, string? problem, string residentIdText, int coverageYear,
        Func<EnrolmentState?, EnrolmentState?> rule, NpgsqlConnection conn, NpgsqlTransaction tx, TimeProvider time,
        ILogger logger, CancellationToken ct) where TEvent : Google.Protobuf.IMessage<TEvent>
    {
        if (problem is not null)
        {
            logger.LogError("Ignoring {Topic} event {EventId}: {Problem}", evt.Topic, evt.Id, problem);
            return;
        }
        var residentId = Guid.Parse(residentIdText);
        if (!await ResidentQueries.LockAsync(conn, tx, evt.TenantId, residentId, ct))
        {
            logger.LogError("Ignoring {Topic} event {EventId}: resident {ResidentId} is not registered in tenant {TenantId}",
                evt.Topic, evt.Id, residentId, evt.TenantId);
            return;
        }
        var current = await EnrolmentQueries.GetAsync(conn, tx, evt.TenantId, residentId, coverageYear, ct);
        var next = rule(current);
        if (next is null)
        {
            logger.LogInformation("{Topic} event {EventId} leaves the {CoverageYear} enrolment of resident {ResidentId} unchanged",
                evt.Topic, evt.Id, coverageYear, residentId);
            return;
        }
        await EnrolmentQueries.UpsertAsync(conn, tx, evt.TenantId, residentId, coverageYear, next, time.UtcNow(), ct);
    }
}
