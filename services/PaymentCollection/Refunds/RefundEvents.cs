using Google.Protobuf.WellKnownTypes;
using Medins.Payment.V1;
using Medins.PaymentCollection.Core;
using DomainOrder = Medins.PaymentCollection.Core.PaymentOrder;
using DomainRefund = Medins.PaymentCollection.Refunds.Refund;
using RefundKind = Medins.PaymentCollection.Refunds.RefundKind;

namespace Medins.PaymentCollection.Refunds;

/// <summary>The events of refunds, built from domain values.</summary>
public static class RefundEvents
{
    /// <summary>A full refund was approved: the order's enrolment is suspended until it completes.</summary>
    public static ContributionRefundRequested RefundRequested(string tenantId, DomainOrder order, DomainRefund refund) => new()
    {
        TenantId = tenantId,
        OrderId = order.OrderId.ToString(),
        ResidentId = order.ResidentId,
        VillageCode = order.VillageCode,
        CoverageYear = order.CoverageYear,
        RefundId = refund.RefundId.ToString(),
        Reason = refund.Reason,
        AmountFen = refund.AmountFen,
        RequestTime = Timestamp.FromDateTimeOffset(refund.RequestedAt),
    };

    /// <summary>A refund completed; <paramref name="order"/> is the order as the refund left it.</summary>
    public static ContributionRefunded Refunded(string tenantId, DomainOrder order, DomainRefund refund) => new()
    {
        TenantId = tenantId,
        OrderId = order.OrderId.ToString(),
        ResidentId = order.ResidentId,
        VillageCode = order.VillageCode,
        CoverageYear = order.CoverageYear,
        RefundedAmountFen = refund.AmountFen,
        Reason = refund.Reason,
        RefundTime = Timestamp.FromDateTimeOffset(refund.CompletedAt
            ?? throw new InvalidOperationException($"Refund {refund.RefundId} is not completed.")),
        RefundId = refund.RefundId.ToString(),
        Kind = ToProto(refund.Kind),
        Tier = order.Tier,
        Channel = ContractValues.ToProtoChannel(order.Channel),
        HouseholdId = order.HouseholdId ?? "",
        WithdrawnSubsidyLines = { refund.WithdrawnSubsidyLines.Select(ContractValues.ToProto) },
        GrantedSubsidyLines = { refund.GrantedSubsidyLines.Select(ContractValues.ToProto) },
        RemainingPersonalAmountFen = refund.Kind == RefundKind.Full ? 0 : order.PersonalInForceFen,
    };

    public static Payment.V1.RefundKind ToProto(RefundKind kind) => kind switch
    {
        RefundKind.Full => Payment.V1.RefundKind.Full,
        RefundKind.Differential => Payment.V1.RefundKind.Differential,
        _ => Payment.V1.RefundKind.Unspecified,
    };
}
