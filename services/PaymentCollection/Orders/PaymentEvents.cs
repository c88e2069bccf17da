using Google.Protobuf.WellKnownTypes;
using Medins.Payment.V1;
using Medins.PaymentCollection.Core;
using DomainOrder = Medins.PaymentCollection.Core.PaymentOrder;

namespace Medins.PaymentCollection.Orders;

/// <summary>The event of a paid order (refunds publish theirs in <c>RefundEvents</c>).</summary>
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
        Channel = ContractValues.ToProtoChannel(order.Channel),
        ChannelTransactionId = order.ChannelTransactionId ?? "",
        PaidTime = Timestamp.FromDateTimeOffset(order.PaidAt
            ?? throw new InvalidOperationException($"Order {order.OrderId} is not paid.")),
        BenefitStartDate = order.BenefitStart.ToProtoDate(),
        BenefitEndDate = order.BenefitEnd.ToProtoDate(),
        PolicyId = order.PolicyId,
        PolicyVersion = order.PolicyVersion,
        HouseholdId = order.HouseholdId ?? "",
        SubsidyLines = { order.SubsidyLines.Select(ContractValues.ToProto) },
        ReceiptNumber = order.ReceiptNumber ?? "",
        PersonGroup = order.PersonGroup,
        AgentId = order.AgentId ?? "",
    };
}
