using Google.Protobuf.WellKnownTypes;
using Medins.Payment.V1;
using Medins.PaymentCollection.Grpc;
using DomainOrder = Medins.PaymentCollection.Domain.PaymentOrder;
using DomainRefund = Medins.PaymentCollection.Domain.Refund;
using DomainSubsidyLine = Medins.PaymentCollection.Domain.SubsidyLine;

namespace Medins.PaymentCollection.Payments;

/// <summary>The events payment-collection publishes, built from domain values.</summary>
public static class PaymentEvents
{
    /// <summary>The event of a settled order; a zero-contribution enrolment has no channel transaction id.</summary>
    public static ContributionPaid Paid(string tenantId, DomainOrder order) => new()
    {
        TenantId = tenantId,
        OrderId = order.OrderId.ToString(),
        ResidentId = order.ResidentId,
        VillageCode = order.VillageCode,
        CoverageYear = order.CoverageYear,
        Tier = order.Tier,
        PersonalAmountFen = order.PersonalAmountFen,
        SubsidyAmountFen = order.SubsidyAmountFen,
        Channel = ProtoMapping.ToProtoChannel(order.Channel),
        ChannelTransactionId = order.ChannelTransactionId ?? "",
        PaidTime = Timestamp.FromDateTimeOffset(order.PaidAt
            ?? throw new InvalidOperationException($"Order {order.OrderId} is not paid.")),
        BenefitStartDate = order.BenefitStart.ToProtoDate(),
        BenefitEndDate = order.BenefitEnd.ToProtoDate(),
        PolicyId = order.PolicyId,
        PolicyVersion = order.PolicyVersion,
        HouseholdId = order.HouseholdId ?? "",
        SubsidyLines = { order.SubsidyLines.Select(ToProto) },
        ReceiptNumber = order.ReceiptNumber ?? "",
        PersonGroup = order.PersonGroup,
        AgentId = order.AgentId ?? "",
    };

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
        Kind = ProtoMapping.ToProto(refund.Kind),
        Tier = order.Tier,
        Channel = ProtoMapping.ToProtoChannel(order.Channel),
        HouseholdId = order.HouseholdId ?? "",
        WithdrawnSubsidyLines = { refund.WithdrawnSubsidyLines.Select(ToProto) },
        GrantedSubsidyLines = { refund.GrantedSubsidyLines.Select(ToProto) },
        RemainingPersonalAmountFen = refund.Kind == Domain.RefundKind.Full ? 0 : order.PersonalInForceFen,
    };

    public static Payment.V1.SubsidyLine ToProto(DomainSubsidyLine line) => new()
    {
        Category = line.Category,
        FundingSource = line.FundingSource,
        AmountFen = line.AmountFen,
        Description = line.Description,
    };
}
