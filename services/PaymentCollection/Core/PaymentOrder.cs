using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Core;

/// <summary>One fund's share of a person's subsidy: what that fund owes the insurance fund for her.</summary>
public sealed record SubsidyLine(string Category, string FundingSource, long AmountFen, string Description);

/// <summary>What contribution-calculation priced for the person: only <see cref="PersonalFen"/> is ever collected.</summary>
public sealed record PricedContribution(int Tier, long PersonalFen, long SubsidyFen, string PolicyId, int PolicyVersion,
    DateOnly BenefitStart, DateOnly BenefitEnd)
{
    public IReadOnlyList<SubsidyLine> SubsidyLines { get; init; } = [];
    public string PersonGroup { get; init; } = "";
}

/// <summary>An order's personal part and subsidy lines after differential refunds.</summary>
public sealed record OrderAdjustment(long PersonalFen, IReadOnlyList<SubsidyLine> SubsidyLines)
{
    public long SubsidyFen => SubsidyLines.Sum(l => l.AmountFen);
}

/// <summary>One person's contribution for one coverage year, through one channel, at the quoted price.</summary>
public sealed record PaymentOrder(
    Guid OrderId,
    string ResidentId,
    string VillageCode,
    int CoverageYear,
    int Tier,
    string Channel,
    OrderState State,
    long PersonalAmountFen,
    long SubsidyAmountFen,
    string PolicyId,
    int PolicyVersion,
    DateOnly BenefitStart,
    DateOnly BenefitEnd,
    string? ChannelTransactionId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PaidAt,
    DateTimeOffset ExpiresAt)
{
    /// <summary>Who pays the subsidy, line by line, as the quote gave it.</summary>
    public IReadOnlyList<SubsidyLine> SubsidyLines { get; init; } = [];

    public string PersonGroup { get; init; } = "";

    /// <summary>The household booklet a household order was opened for; null for a single-person order.</summary>
    public string? HouseholdId { get; init; }

    /// <summary>The household order this member order belongs to; the channel confirms that one, not this.</summary>
    public Guid? HouseholdOrderId { get; init; }

    /// <summary>The platform's receipt number (票据号), given when the order is paid.</summary>
    public string? ReceiptNumber { get; init; }

    /// <summary>The village agent who took cash for this order.</summary>
    public string? AgentId { get; init; }

    /// <summary>What the order stands for after completed differential refunds; null while none completed.</summary>
    public OrderAdjustment? Adjustment { get; init; }

    /// <summary>The person's own part as it stands now (what she paid less differential refunds).</summary>
    public long PersonalInForceFen => Adjustment?.PersonalFen ?? PersonalAmountFen;

    /// <summary>The subsidy lines the funds owe for her now.</summary>
    public IReadOnlyList<SubsidyLine> SubsidyLinesInForce => Adjustment?.SubsidyLines ?? SubsidyLines;

    /// <summary>
    /// A differential refund came back to her: her own part falls by the money returned and the new identity's lines
    /// replace those in force (seed 004 §二(五)3). The collected amount stays, as the channel's records show it.
    /// </summary>
    public PaymentOrder AdjustForDifferentialRefund(long refundedFen, IReadOnlyList<SubsidyLine> grantedLines)
    {
        var personal = PersonalInForceFen - refundedFen;
        if (personal < 0)
            throw new InvalidOperationException($"Order {OrderId} would refund more than {PersonalInForceFen} fen.");
        return this with { Adjustment = new OrderAdjustment(personal, grantedLines) };
    }

    /// <summary>
    /// Opens an order at the quoted price. A person whose year is already settled gets none (ALREADY_PAID); a fully
    /// subsidised person (personal part 0) is enrolled at once by a zero-contribution confirmation.
    /// </summary>
    public static PaymentOrder Open(Guid orderId, string residentId, string villageCode, int coverageYear, string channel,
        PricedContribution price, bool coverageYearAlreadySettled, DateTimeOffset now, TimeSpan expiry)
    {
        if (coverageYearAlreadySettled)
            throw new RuleViolation(ErrorReason.AlreadyPaid, RefusalStatus.FailedPrecondition,
                $"Resident {residentId} has already paid for coverage year {coverageYear}.");
        if (price.PersonalFen < 0 || price.SubsidyFen < 0)
            throw new ArgumentException("A quote never has negative amounts.", nameof(price));

        var order = new PaymentOrder(orderId, residentId, villageCode, coverageYear, price.Tier, channel, OrderState.Created,
            price.PersonalFen, price.SubsidyFen, price.PolicyId, price.PolicyVersion, price.BenefitStart, price.BenefitEnd,
            ChannelTransactionId: null, CreatedAt: now, PaidAt: null, ExpiresAt: now + expiry)
        {
            SubsidyLines = price.SubsidyLines,
            PersonGroup = price.PersonGroup,
        };
        return order.IsZeroContribution ? order.MarkPaid(channelTransactionId: null, paidAt: now) : order;
    }

    /// <summary>Funds pay everything on the person's behalf: nothing is collected (零缴费核定).</summary>
    public bool IsZeroContribution => PersonalAmountFen == 0;

    /// <summary>A created order past its expiry, not yet marked expired in storage.</summary>
    public bool IsOverdue(DateTimeOffset now) => State == OrderState.Created && now >= ExpiresAt;

    /// <summary>The state a reader should see: an overdue created order is expired even before anyone touched it.</summary>
    public OrderState EffectiveState(DateTimeOffset now) => IsOverdue(now) ? OrderState.Expired : State;

    public PaymentOrder MarkPaid(string? channelTransactionId, DateTimeOffset paidAt) =>
        MoveTo(OrderState.Paid) with { ChannelTransactionId = channelTransactionId, PaidAt = paidAt };

    public PaymentOrder MarkExpired() => MoveTo(OrderState.Expired);

    public PaymentOrder Cancel() => MoveTo(OrderState.Cancelled);

    public PaymentOrder RequestRefund() => MoveTo(OrderState.RefundRequested);

    public PaymentOrder CompleteRefund() => MoveTo(OrderState.Refunded);

    private PaymentOrder MoveTo(OrderState target)
    {
        OrderStateMachine.EnsureCanMove(State, target);
        return this with { State = target };
    }
}
