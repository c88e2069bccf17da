using Medins.Identity.V1;
using Medins.Platform.Hosting.Messaging;
using Npgsql;

namespace Medins.PaymentCollection.Refunds;

/// <summary>An identity certified after an ordinary payment may earn a differential refund (the policy decides).</summary>
public sealed class IdentityCertifiedHandler(RefundDesk refunds, ILogger<IdentityCertifiedHandler> logger)
    : IEventHandler<IdentityCertified>
{
    /// <summary>The person and the policy's decisions, asked before the inbox transaction opens.</summary>
    public async Task<object?> PrepareAsync(InboundEvent<IdentityCertified> evt, CancellationToken ct) =>
        Valid(evt) ? await refunds.PrepareDifferenceAsync(evt.TenantId, evt.Data, ct) : null;

    private static bool Valid(InboundEvent<IdentityCertified> evt) =>
        !(evt.Data.TenantId.Length > 0 && evt.Data.TenantId != evt.TenantId || evt.Data.ResidentId.Length == 0
          || evt.Data.IdentityId.Length == 0);

    public async Task HandleAsync(InboundEvent<IdentityCertified> evt, NpgsqlConnection conn, NpgsqlTransaction tx,
        CancellationToken ct)
    {
        var certified = evt.Data;
        if (!Valid(evt))
        {
            // Redelivery would not mend it, so it is dropped rather than retried.
            logger.LogError("Ignoring {Topic} event {EventId}: tenant, resident or identity missing or inconsistent",
                evt.Topic, evt.Id);
            return;
        }
        var raised = await refunds.RefundDifferenceAsync(conn, tx, evt.TenantId, certified,
            evt.Prepared as RefundDesk.RefundDecisions, ct);
        if (raised.Count > 0)
            logger.LogInformation("Identity {IdentityId} raised {Count} differential refund(s) for resident {ResidentId}",
                certified.IdentityId, raised.Count, certified.ResidentId);
    }
}
