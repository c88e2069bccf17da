using Medins.PaymentCollection.Core;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

public class PaymentOrderTests
{
    private static readonly DateTimeOffset Now = new(2023, 11, 20, 1, 0, 0, TimeSpan.Zero);

    // Seed 000 (Lidu) §2: tier 1 (一档) personal standard 380 yuan; benefits 1 Jan–31 Dec 2024 (§4).
    internal static readonly PricedContribution LiduTierOne =
        new(1, 38000, 0, "cq-lidu-2024-v1", 1, new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31));

    internal static PaymentOrder Created(PricedContribution? price = null) =>
        PaymentOrder.Open(Guid.CreateVersion7(Now), "resident-1", "500102001001", 2024, "wechat_pay", price ?? LiduTierOne,
            coverageYearAlreadySettled: false, Now, TimeSpan.FromMinutes(30));

    [Fact]
    public void Open_PricedOrder_CreatedAtQuotedAmountsWithExpiry()
    {
        var order = Created();

        Assert.Equal(OrderState.Created, order.State);
        Assert.Equal(38000, order.PersonalAmountFen);
        Assert.Equal("cq-lidu-2024-v1", order.PolicyId);
        Assert.Equal(Now.AddMinutes(30), order.ExpiresAt);
        Assert.Null(order.PaidAt);
    }

    [Fact]
    public void Open_FullySubsidised_PaidAtOnceWithoutTransaction()
    {
        // Meishan 特困 (seed 003 §3): subsidy 380, person pays 0 — enrolled by zero-contribution confirmation.
        var order = Created(LiduTierOne with { PersonalFen = 0, SubsidyFen = 38000 });

        Assert.Equal(OrderState.Paid, order.State);
        Assert.Equal(Now, order.PaidAt);
        Assert.Null(order.ChannelTransactionId);
    }

    [Fact]
    public void Open_CoverageYearAlreadySettled_ThrowsAlreadyPaid()
    {
        var ex = Assert.Throws<RuleViolation>(() => PaymentOrder.Open(Guid.NewGuid(), "resident-1", "500102001001",
            2024, "alipay", LiduTierOne, coverageYearAlreadySettled: true, Now, TimeSpan.FromMinutes(30)));

        Assert.Equal("ALREADY_PAID", ex.Reason);
    }

    [Theory]
    [InlineData(OrderState.Created, OrderState.Paid)]
    [InlineData(OrderState.Created, OrderState.Expired)]
    [InlineData(OrderState.Created, OrderState.Cancelled)]
    [InlineData(OrderState.Paid, OrderState.RefundRequested)]
    [InlineData(OrderState.RefundRequested, OrderState.Refunded)]
    public void CanMove_LifeCycleStep_Allowed(OrderState from, OrderState to) =>
        Assert.True(OrderStateMachine.CanMove(from, to));

    [Theory]
    [InlineData(OrderState.Created, OrderState.Refunded)]
    [InlineData(OrderState.Created, OrderState.RefundRequested)]
    [InlineData(OrderState.Paid, OrderState.Created)]
    [InlineData(OrderState.Paid, OrderState.Expired)]
    [InlineData(OrderState.Paid, OrderState.Cancelled)]
    [InlineData(OrderState.Expired, OrderState.Paid)]
    [InlineData(OrderState.Cancelled, OrderState.Paid)]
    [InlineData(OrderState.Refunded, OrderState.Paid)]
    [InlineData(OrderState.RefundRequested, OrderState.Paid)]
    public void CanMove_OutsideLifeCycle_Refused(OrderState from, OrderState to)
    {
        Assert.False(OrderStateMachine.CanMove(from, to));
        var ex = Assert.Throws<InvalidOrderTransitionException>(() => OrderStateMachine.EnsureCanMove(from, to));
        Assert.Equal(from, ex.From);
        Assert.Equal(to, ex.To);
    }

    [Fact]
    public void MarkPaid_TwiceOnSameOrder_ThrowsInvalidTransition()
    {
        var paid = Created().MarkPaid("wx-1", Now);

        Assert.Throws<InvalidOrderTransitionException>(() => paid.MarkPaid("wx-2", Now));
    }

    [Fact]
    public void RefundPath_PaidOrder_GoesThroughRefundRequestedToRefunded()
    {
        var refunded = Created().MarkPaid("wx-1", Now).RequestRefund().CompleteRefund();

        Assert.Equal(OrderState.Refunded, refunded.State);
        Assert.Equal("wx-1", refunded.ChannelTransactionId);
        Assert.Throws<InvalidOrderTransitionException>(() => refunded.Cancel());
    }

    [Fact]
    public void EffectiveState_CreatedOrderPastExpiry_Expired()
    {
        var order = Created();

        Assert.Equal(OrderState.Created, order.EffectiveState(Now.AddMinutes(29)));
        Assert.Equal(OrderState.Expired, order.EffectiveState(Now.AddMinutes(30)));
        Assert.Equal(OrderState.Paid, order.MarkPaid("wx-1", Now).EffectiveState(Now.AddDays(1)));
    }
}
