using Medins.PaymentCollection.Reconciliation;
using Medins.PaymentCollection.Reconciliation.Statements;

namespace Medins.PaymentCollection.Tests.Reconciliation;

public class ReconcilerTests
{
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);
    private static readonly DateTimeOffset Noon = new(2023, 11, 20, 12, 0, 0, Beijing);
    private static readonly Dictionary<string, HeldNotice> NoneHeld = [];

    private static StatementLine Line(int number, string transaction, long fen, StatementLineKind kind = StatementLineKind.Payment) =>
        new(number, new StatementEntry(kind, transaction, fen, Noon));

    private static PlatformPayment Paid(string transaction, long fen, DateTimeOffset? at = null) =>
        new(transaction, [Guid.CreateVersion7()], fen, at ?? Noon);

    [Fact]
    public void Reconcile_PaymentThePlatformRecordedTheDayBefore_MatchedAndNotMissingThere()
    {
        // Paid at 23:59:59.9 by the platform's clock, listed by the channel on the next day's statement.
        var lateEvening = Paid("wx-1", 38000, new DateTimeOffset(2023, 11, 19, 23, 59, 59, Beijing));

        var result = Reconciler.Reconcile([Line(2, "wx-1", 38000)], new Dictionary<string, PlatformPayment> { ["wx-1"] = lateEvening },
            paidOnDay: [], NoneHeld);

        Assert.Equal(LineOutcome.Matched, Assert.Single(result.Lines).Outcome);
        Assert.Empty(result.Discrepancies);
    }

    [Fact]
    public void Reconcile_RefundAndReversalLines_KeptButNotReconciled()
    {
        var paid = Paid("wx-1", 38000);

        var result = Reconciler.Reconcile(
            [Line(2, "wx-1", 38000, StatementLineKind.Refund), Line(3, "wx-1", 38000, StatementLineKind.Reversal)],
            new Dictionary<string, PlatformPayment>(), paidOnDay: [paid], NoneHeld);

        Assert.All(result.Lines, l => Assert.Equal(LineOutcome.NotReconciled, l.Outcome));
        // A reversed payment is not a payment the channel settles: the platform's payment is missing there.
        var missing = Assert.Single(result.Discrepancies);
        Assert.Equal((DiscrepancyKind.MissingThere, "wx-1", 38000L), (missing.Kind, missing.ChannelTransactionId, missing.Payment!.AmountFen));
    }

    [Fact]
    public void Reconcile_PaidAndAlsoHeld_PaidWins()
    {
        // The channel first sent a wrong amount (refused, held), then the right one (confirmed) for one transaction.
        var result = Reconciler.Reconcile([Line(2, "wx-1", 38000)],
            new Dictionary<string, PlatformPayment> { ["wx-1"] = Paid("wx-1", 38000) }, paidOnDay: [],
            new Dictionary<string, HeldNotice> { ["wx-1"] = new("wx-1", Guid.CreateVersion7(), 3800, "AMOUNT_MISMATCH") });

        Assert.Equal(LineOutcome.Matched, Assert.Single(result.Lines).Outcome);
    }

    [Fact]
    public void Reconcile_HouseholdPaymentOfSeveralOrders_ComparedWithTheirSum()
    {
        var household = new PlatformPayment("wx-family", [Guid.CreateVersion7(), Guid.CreateVersion7()], 76000, Noon);

        var result = Reconciler.Reconcile([Line(2, "wx-family", 76000)],
            new Dictionary<string, PlatformPayment> { ["wx-family"] = household }, paidOnDay: [household], NoneHeld);

        Assert.Equal(LineOutcome.Matched, Assert.Single(result.Lines).Outcome);
        Assert.Empty(result.Discrepancies);
    }

    public static TheoryData<DiscrepancyKind, ResolutionAction, bool> Actions => new()
    {
        { DiscrepancyKind.MissingHere, ResolutionAction.ConfirmLatePayment, true },
        { DiscrepancyKind.MissingHere, ResolutionAction.RefundToPayer, true },
        { DiscrepancyKind.MissingHere, ResolutionAction.ChannelErrorWrittenOff, true },
        { DiscrepancyKind.MissingHere, ResolutionAction.MatchedManually, true },
        { DiscrepancyKind.MissingThere, ResolutionAction.ConfirmLatePayment, true },
        { DiscrepancyKind.MissingThere, ResolutionAction.RefundToPayer, false },
        { DiscrepancyKind.MissingThere, ResolutionAction.ChannelErrorWrittenOff, true },
        { DiscrepancyKind.MissingThere, ResolutionAction.MatchedManually, true },
        { DiscrepancyKind.AmountDifference, ResolutionAction.ConfirmLatePayment, false },
        { DiscrepancyKind.AmountDifference, ResolutionAction.RefundToPayer, true },
        { DiscrepancyKind.AmountDifference, ResolutionAction.ChannelErrorWrittenOff, true },
        { DiscrepancyKind.AmountDifference, ResolutionAction.MatchedManually, true },
    };

    [Theory]
    [MemberData(nameof(Actions))]
    public void Refusal_EachKindAndAction_OnlyTheActionsThatSettleIt(DiscrepancyKind kind, ResolutionAction action, bool allowed)
    {
        // An amount difference where the channel took 1 yuan more than the order's price.
        var discrepancy = new Discrepancy(Guid.CreateVersion7(), Guid.CreateVersion7(), "wechat_pay", new DateOnly(2023, 11, 20), kind,
            "wx-1", DiscrepancyState.Open, Noon)
        {
            ChannelAmountFen = kind == DiscrepancyKind.MissingThere ? null : 38100,
            PlatformAmountFen = kind == DiscrepancyKind.MissingHere ? null : 38000,
        };

        Assert.Equal(allowed, ResolutionRules.Refusal(discrepancy, action) is null);
    }

    [Fact]
    public void Refusal_RefundOfAnAmountDifferenceWhereTheChannelHoldsLess_Refused()
    {
        var discrepancy = new Discrepancy(Guid.CreateVersion7(), Guid.CreateVersion7(), "alipay", new DateOnly(2023, 11, 20),
            DiscrepancyKind.AmountDifference, "ali-1", DiscrepancyState.Open, Noon) { ChannelAmountFen = 37900, PlatformAmountFen = 38000 };

        Assert.Contains("no excess", ResolutionRules.Refusal(discrepancy, ResolutionAction.RefundToPayer));
    }
}
