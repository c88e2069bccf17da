using Google.Protobuf.WellKnownTypes;
using Medins;
using Medins.Payment.V1;
using Medins.PaymentCollection.Core;
using DomainOrder = Medins.PaymentCollection.Core.PaymentOrder;
using DomainState = Medins.PaymentCollection.Core.OrderState;
using ProtoOrder = Medins.Payment.V1.PaymentOrder;
using ProtoState = Medins.Payment.V1.OrderState;

namespace Medins.PaymentCollection.Grpc;

/// <summary>Between the contract's messages and the domain's values.</summary>
internal static class ProtoMapping
{
    public static ProtoOrder ToProto(DomainOrder order, DateTimeOffset now) => new()
    {
        OrderId = order.OrderId.ToString(),
        ResidentId = order.ResidentId,
        VillageCode = order.VillageCode,
        CoverageYear = order.CoverageYear,
        Tier = order.Tier,
        Channel = ContractValues.ToProtoChannel(order.Channel),
        State = ToProto(order.EffectiveState(now)),
        PersonalAmountFen = order.PersonalInForceFen,
        SubsidyAmountFen = order.Adjustment?.SubsidyFen ?? order.SubsidyAmountFen,
        PolicyId = order.PolicyId,
        PolicyVersion = order.PolicyVersion,
        ChannelTransactionId = order.ChannelTransactionId ?? "",
        CreateTime = Timestamp.FromDateTimeOffset(order.CreatedAt),
        PaidTime = order.PaidAt is { } paid ? Timestamp.FromDateTimeOffset(paid) : null,
        BenefitStartDate = order.BenefitStart.ToProtoDate(),
        BenefitEndDate = order.BenefitEnd.ToProtoDate(),
        ReceiptNumber = order.ReceiptNumber ?? "",
        SubsidyLines = { order.SubsidyLinesInForce.Select(ContractValues.ToProto) },
        HouseholdId = order.HouseholdId ?? "",
        HouseholdOrderId = order.HouseholdOrderId?.ToString() ?? "",
        AgentId = order.AgentId ?? "",
        CollectedAmountFen = OrderStateMachine.HoldsPayment(order.State) ? order.PersonalAmountFen : 0,
    };

    public static Refund ToProto(Refunds.Refund refund) => new()
    {
        RefundId = refund.RefundId.ToString(),
        OrderId = refund.OrderId.ToString(),
        ResidentId = refund.ResidentId,
        CoverageYear = refund.CoverageYear,
        Kind = Refunds.RefundEvents.ToProto(refund.Kind),
        Reason = refund.Reason,
        AmountFen = refund.AmountFen,
        State = refund.State == Refunds.RefundState.Completed ? RefundState.Completed : RefundState.Requested,
        EvidenceReference = refund.EvidenceReference,
        Explanation = refund.Explanation,
        RequestTime = Timestamp.FromDateTimeOffset(refund.RequestedAt),
        RequestedBy = refund.RequestedBy,
        CompleteTime = refund.CompletedAt is { } completed ? Timestamp.FromDateTimeOffset(completed) : null,
        RefundReference = refund.RefundReference ?? "",
        GrantedSubsidyLines = { refund.GrantedSubsidyLines.Select(ContractValues.ToProto) },
    };

    /// <summary>The domain's state for a contract state; null for UNSPECIFIED or a number the contract does not define.</summary>
    public static DomainState? ToDomain(ProtoState state) => state switch
    {
        ProtoState.Created => DomainState.Created,
        ProtoState.Paid => DomainState.Paid,
        ProtoState.Expired => DomainState.Expired,
        ProtoState.Cancelled => DomainState.Cancelled,
        ProtoState.RefundRequested => DomainState.RefundRequested,
        ProtoState.Refunded => DomainState.Refunded,
        _ => null,
    };

    public static ProtoState ToProto(DomainState state) => state switch
    {
        DomainState.Created => ProtoState.Created,
        DomainState.Paid => ProtoState.Paid,
        DomainState.Expired => ProtoState.Expired,
        DomainState.Cancelled => ProtoState.Cancelled,
        DomainState.RefundRequested => ProtoState.RefundRequested,
        DomainState.Refunded => ProtoState.Refunded,
        _ => ProtoState.Unspecified,
    };
}
