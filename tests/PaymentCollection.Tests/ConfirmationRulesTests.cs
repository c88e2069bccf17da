using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Orders;

namespace Medins.PaymentCollection.Tests;

public class ConfirmationRulesTests
{
    private static readonly DateTimeOffset Now = new(2023, 11, 20, 1, 5, 0, TimeSpan.Zero);
    private static readonly ConfirmationFacts NothingElse = new(false, false);

    private static ConfirmationNotice Notice(string transaction = "wx-1", long amountFen = 38000) =>
        new(transaction, amountFen, ReportedPaidAt: null);

    [Fact]
    public void Decide_ExactAmount_ConfirmedAndPaid()
    {
        var reportedPaidAt = Now.AddMinutes(-1);
        var decision = ConfirmationRules.Decide(PaymentOrderTests.Created(), Notice() with { ReportedPaidAt = reportedPaidAt },
            NothingElse, Now);

        Assert.Equal(ConfirmationOutcome.Confirmed, decision.Outcome);
        Assert.True(decision.Accepted);
        Assert.Equal(OrderState.Paid, decision.Order.State);
        Assert.Equal("wx-1", decision.Order.ChannelTransactionId);
        Assert.Equal(reportedPaidAt, decision.Order.PaidAt);
    }

    [Fact]
    public void Decide_NoReportedPaidTime_PaidAtReceipt()
    {
        var decision = ConfirmationRules.Decide(PaymentOrderTests.Created(), Notice(), NothingElse, Now);

        Assert.Equal(Now, decision.Order.PaidAt);
    }

    [Fact]
    public void Decide_SameTransactionAgain_ReplayedWithOrderUnchanged()
    {
        var paid = PaymentOrderTests.Created().MarkPaid("wx-1", Now);

        var decision = ConfirmationRules.Decide(paid, Notice(), NothingElse, Now.AddMinutes(5));

        Assert.Equal(ConfirmationOutcome.Replayed, decision.Outcome);
        Assert.True(decision.Accepted);
        Assert.Same(paid, decision.Order);
    }

    [Theory]
    [InlineData(37999)]
    [InlineData(38001)]
    [InlineData(0)]
    public void Decide_AmountDiffersFromOrder_AmountMismatchForReview(long reported)
    {
        var order = PaymentOrderTests.Created();

        var decision = ConfirmationRules.Decide(order, Notice(amountFen: reported), NothingElse, Now);

        Assert.Equal(ConfirmationOutcome.AmountMismatch, decision.Outcome);
        Assert.Equal("AMOUNT_MISMATCH", decision.Reason);
        Assert.True(decision.NeedsReview);
        Assert.Same(order, decision.Order);
    }

    [Fact]
    public void Decide_SameTransactionButOtherAmount_AmountMismatch()
    {
        var paid = PaymentOrderTests.Created().MarkPaid("wx-1", Now);

        var decision = ConfirmationRules.Decide(paid, Notice(amountFen: 75500), NothingElse, Now);

        Assert.Equal(ConfirmationOutcome.AmountMismatch, decision.Outcome);
        Assert.Same(paid, decision.Order);
    }

    [Fact]
    public void Decide_PaidOrderOtherTransaction_DuplicatePayment()
    {
        var paid = PaymentOrderTests.Created().MarkPaid("wx-1", Now);

        var decision = ConfirmationRules.Decide(paid, Notice("wx-2"), NothingElse, Now);

        Assert.Equal(ConfirmationOutcome.DuplicatePayment, decision.Outcome);
        Assert.Equal("DUPLICATE_PAYMENT", decision.Reason);
        Assert.Equal("wx-1", decision.Order.ChannelTransactionId);
    }

    [Fact]
    public void Decide_ZeroContributionOrderGetsChannelMoney_DuplicatePayment()
    {
        var enrolled = PaymentOrderTests.Created(PaymentOrderTests.LiduTierOne with { PersonalFen = 0, SubsidyFen = 38000 });

        var decision = ConfirmationRules.Decide(enrolled, Notice(amountFen: 0), NothingElse, Now);

        Assert.Equal(ConfirmationOutcome.DuplicatePayment, decision.Outcome);
    }

    [Fact]
    public void Decide_PersonYearPaidByAnotherOrder_DuplicatePaymentAndOrderCancelled()
    {
        var decision = ConfirmationRules.Decide(PaymentOrderTests.Created(), Notice(),
            new ConfirmationFacts(CoverageYearSettledByAnotherOrder: true, TransactionSettledAnotherOrder: false), Now);

        Assert.Equal(ConfirmationOutcome.DuplicatePayment, decision.Outcome);
        Assert.Equal(OrderState.Cancelled, decision.Order.State);
    }

    [Fact]
    public void Decide_TransactionSettledAnotherOrder_TransactionReused()
    {
        var order = PaymentOrderTests.Created();

        var decision = ConfirmationRules.Decide(order, Notice(),
            new ConfirmationFacts(CoverageYearSettledByAnotherOrder: false, TransactionSettledAnotherOrder: true), Now);

        Assert.Equal("CHANNEL_TRANSACTION_REUSED", decision.Reason);
        Assert.Same(order, decision.Order);
    }

    [Fact]
    public void Decide_AfterExpiry_OrderExpiredAndMarkedExpired()
    {
        var order = PaymentOrderTests.Created();

        var decision = ConfirmationRules.Decide(order, Notice(), NothingElse, order.ExpiresAt);

        Assert.Equal(ConfirmationOutcome.OrderExpired, decision.Outcome);
        Assert.Equal("ORDER_EXPIRED", decision.Reason);
        Assert.Equal(OrderState.Expired, decision.Order.State);
    }

    [Fact]
    public void Decide_JustBeforeExpiry_Confirmed()
    {
        var order = PaymentOrderTests.Created();

        var decision = ConfirmationRules.Decide(order, Notice(), NothingElse, order.ExpiresAt.AddTicks(-10));

        Assert.Equal(ConfirmationOutcome.Confirmed, decision.Outcome);
    }

    [Fact]
    public void Decide_CancelledOrder_OrderCancelled()
    {
        var cancelled = PaymentOrderTests.Created().Cancel();

        var decision = ConfirmationRules.Decide(cancelled, Notice(), NothingElse, Now);

        Assert.Equal("ORDER_CANCELLED", decision.Reason);
        Assert.Same(cancelled, decision.Order);
    }
}
