using Medins;
using Google.Protobuf.WellKnownTypes;
using Medins.Payment.V1;
using DomainOrder = Medins.PaymentCollection.Domain.PaymentOrder;
using DomainState = Medins.PaymentCollection.Domain.OrderState;
using ProtoOrder = Medins.Payment.V1.PaymentOrder;
using ProtoState = Medins.Payment.V1.OrderState;

namespace Medins.PaymentCollection.Grpc;

/// <summary>Between the contract's messages and the domain's values.</summary>
internal static class ProtoMapping
{
    // Stored codes of the channels; the table's CHECK constraint lists the same codes.
    private static readonly IReadOnlyDictionary<PaymentChannel, string> ChannelCodes = new Dictionary<PaymentChannel, string>
    {
        [PaymentChannel.WechatPay] = "wechat_pay",
        [PaymentChannel.Alipay] = "alipay",
        [PaymentChannel.TaxEBureau] = "tax_e_bureau",
        [PaymentChannel.Yukuaiban] = "yukuaiban",
        [PaymentChannel.BankCounter] = "bank_counter",
        [PaymentChannel.VillagePos] = "village_pos",
        [PaymentChannel.School] = "school",
        [PaymentChannel.VillageCash] = "village_cash",
    };

    private static readonly IReadOnlyDictionary<string, PaymentChannel> ChannelsByCode =
        ChannelCodes.ToDictionary(c => c.Value, c => c.Key);

    public static string? ChannelCode(PaymentChannel channel) => ChannelCodes.GetValueOrDefault(channel);

    /// <summary>Every stored channel code, in the contract's channel order.</summary>
    public static IReadOnlyList<string> AllChannelCodes { get; } = ChannelCodes.OrderBy(c => c.Key).Select(c => c.Value).ToList();

    public static PaymentChannel ToProtoChannel(string code) => ChannelsByCode.GetValueOrDefault(code);

    public static ProtoOrder ToProto(DomainOrder order, DateTimeOffset now) => new()
    {
        OrderId = order.OrderId.ToString(),
        ResidentId = order.ResidentId,
        VillageCode = order.VillageCode,
        CoverageYear = order.CoverageYear,
        Tier = order.Tier,
        Channel = ToProtoChannel(order.Channel),
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
        SubsidyLines = { order.SubsidyLinesInForce.Select(Payments.PaymentEvents.ToProto) },
        HouseholdId = order.HouseholdId ?? "",
        HouseholdOrderId = order.HouseholdOrderId?.ToString() ?? "",
        AgentId = order.AgentId ?? "",
        CollectedAmountFen = Domain.OrderStateMachine.HoldsPayment(order.State) ? order.PersonalAmountFen : 0,
    };

    public static RefundKind ToProto(Domain.RefundKind kind) => kind switch
    {
        Domain.RefundKind.Full => RefundKind.Full,
        Domain.RefundKind.Differential => RefundKind.Differential,
        _ => RefundKind.Unspecified,
    };

    public static Refund ToProto(Domain.Refund refund) => new()
    {
        RefundId = refund.RefundId.ToString(),
        OrderId = refund.OrderId.ToString(),
        ResidentId = refund.ResidentId,
        CoverageYear = refund.CoverageYear,
        Kind = ToProto(refund.Kind),
        Reason = refund.Reason,
        AmountFen = refund.AmountFen,
        State = refund.State == Domain.RefundState.Completed ? RefundState.Completed : RefundState.Requested,
        EvidenceReference = refund.EvidenceReference,
        Explanation = refund.Explanation,
        RequestTime = Timestamp.FromDateTimeOffset(refund.RequestedAt),
        RequestedBy = refund.RequestedBy,
        CompleteTime = refund.CompletedAt is { } completed ? Timestamp.FromDateTimeOffset(completed) : null,
        RefundReference = refund.RefundReference ?? "",
        GrantedSubsidyLines = { refund.GrantedSubsidyLines.Select(Payments.PaymentEvents.ToProto) },
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
