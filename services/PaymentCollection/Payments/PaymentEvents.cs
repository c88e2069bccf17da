using Google.Protobuf.WellKnownTypes;
using Medins.Payment.V1;
using Medins.PaymentCollection.Grpc;
using DomainOrder = Medins.PaymentCollection.Domain.PaymentOrder;
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

    public static Payment.V1.SubsidyLine ToProto(DomainSubsidyLine line) => new()
    {
        Category = line.Category,
        FundingSource = line.FundingSource,
        AmountFen = line.AmountFen,
        Description = line.Description,
    };
}
