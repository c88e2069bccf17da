using Medins.IdentityRegistry.Domain;

namespace Medins.IdentityRegistry.Tests;

public class EnrolmentRulesTests
{
    // Seed 000 (Lidu) §4: paid in the concentrated period → benefits 1 Jan–31 Dec 2024; tier 1 is 380 yuan.
    private static readonly PaidContribution PaidA = new("order-a", 38000, new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31));
    private static readonly PaidContribution PaidB = PaidA with { OrderId = "order-b" };

    [Fact]
    public void OnPaid_NoEnrolment_EnrolsWithOrderAmountAndBenefitDates()
    {
        var next = EnrolmentRules.OnPaid(null, PaidA);

        Assert.Equal(new EnrolmentState(EnrolmentStatus.Enrolled, "order-a", 38000, new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31)), next);
    }

    [Fact]
    public void OnPaid_SameOrderAgainUnchanged_NoChange()
    {
        Assert.Null(EnrolmentRules.OnPaid(EnrolmentRules.OnPaid(null, PaidA), PaidA));
    }

    [Fact]
    public void OnPaid_SecondOrderWhileEnrolled_FirstOrderStands()
    {
        Assert.Null(EnrolmentRules.OnPaid(EnrolmentRules.OnPaid(null, PaidA), PaidB));
    }

    [Fact]
    public void OnPaid_RefundOfSameOrderSeenFirst_StaysRefunded()
    {
        var refunded = EnrolmentRules.OnRefunded(null, "order-a");

        Assert.Equal(EnrolmentStatus.Refunded, refunded!.Status);
        Assert.Null(EnrolmentRules.OnPaid(refunded, PaidA));
    }

    [Fact]
    public void OnPaid_NewOrderAfterRefund_EnrolsAgain()
    {
        var refunded = EnrolmentRules.OnRefunded(EnrolmentRules.OnPaid(null, PaidA), "order-a");

        Assert.Equal(EnrolmentStatus.Enrolled, EnrolmentRules.OnPaid(refunded, PaidB)!.Status);
    }

    [Fact]
    public void OnRefunded_EnrollingOrder_RefundedKeepingOrder()
    {
        var next = EnrolmentRules.OnRefunded(EnrolmentRules.OnPaid(null, PaidA), "order-a");

        Assert.Equal(EnrolmentStatus.Refunded, next!.Status);
        Assert.Equal("order-a", next.OrderId);
    }

    [Fact]
    public void OnRefunded_AnotherOrder_EnrolmentStands()
    {
        // Gaoyang §2.5.3: a double payment is refunded; the enrolment bought by the first order remains.
        Assert.Null(EnrolmentRules.OnRefunded(EnrolmentRules.OnPaid(null, PaidA), "order-b"));
    }

    [Fact]
    public void OnRefunded_Twice_NoChange()
    {
        Assert.Null(EnrolmentRules.OnRefunded(EnrolmentRules.OnRefunded(null, "order-a"), "order-a"));
    }

    [Fact]
    public void OnPaid_RefundRequestedForSameOrderSeenFirst_StaysPending()
    {
        var pending = EnrolmentRules.OnRefundRequested(null, "order-a", "death");

        Assert.Equal(EnrolmentStatus.RefundPending, pending!.Status);
        Assert.Null(EnrolmentRules.OnPaid(pending, PaidA));
    }

    [Fact]
    public void OnRefundRequested_AnotherOrder_EnrolmentStands()
    {
        Assert.Null(EnrolmentRules.OnRefundRequested(EnrolmentRules.OnPaid(null, PaidA), "order-b", "duplicate"));
    }

    [Fact]
    public void OnRefundRequested_AfterRefundCompleted_NoChange()
    {
        var refunded = EnrolmentRules.OnRefunded(EnrolmentRules.OnPaid(null, PaidA), "order-a", "army");

        Assert.Null(EnrolmentRules.OnRefundRequested(refunded, "order-a", "army"));
    }

    [Theory]
    [InlineData("death", true)]
    [InlineData("army", true)]
    [InlineData("prison", true)]
    [InlineData("duplicate", true)]
    [InlineData("employee-insurance", true)]
    [InlineData("other-region", true)]
    [InlineData("clerk-error", false)]
    public void OnRefundRequested_Reason_ExcusedAsSeed004Says(string reason, bool excused)
    {
        // Seed 004 §二(五)3 lists the reasons that suspend the enrolment here; any other reason keeps her expected.
        var pending = EnrolmentRules.OnRefundRequested(EnrolmentRules.OnPaid(null, PaidA), "order-a", reason);

        Assert.Equal(EnrolmentStatus.RefundPending, pending!.Status);
        Assert.Equal(excused, pending.ExcusedFromEnrolment);
    }

    [Fact]
    public void OnDifferentialRefund_AnotherOrder_NoChange()
    {
        Assert.Null(EnrolmentRules.OnDifferentialRefund(EnrolmentRules.OnPaid(null, PaidA), "order-b", 3800, EnrolmentSubsidyLines.None));
    }
}
