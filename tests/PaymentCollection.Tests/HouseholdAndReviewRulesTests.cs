using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Households;
using Medins.PaymentCollection.Orders;
using Medins.PaymentCollection.Reviews;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests;

public class HouseholdAndReviewRulesTests
{
    private static readonly DateTimeOffset Now = new(2023, 11, 20, 1, 5, 0, TimeSpan.Zero);
    private static readonly Guid HouseholdId = Guid.CreateVersion7(Now);

    private static PaymentOrder Member() => PaymentOrderTests.Created() with { HouseholdOrderId = HouseholdId, HouseholdId = "CQ-1" };

    private static HouseholdOrder Household(long totalFen = 76000) => new(HouseholdId, "CQ-1", "500102001001", 2024,
        "village_pos", OrderState.Created, totalFen, 0, null, Now, null, Now.AddMinutes(30));

    private static PaymentReview Review(long amountFen = 38000, string transaction = "wx-9", bool carriesMoney = true,
        Guid? orderId = null) =>
        new(Guid.CreateVersion7(Now), orderId ?? Guid.CreateVersion7(Now), transaction, amountFen, "ORDER_EXPIRED", "", Now,
            null, null, null, null, null) { CarriesMoney = carriesMoney };

    private static string ReasonOf(Action act) => Assert.Throws<RuleViolation>(act).Reason;

    [Fact]
    public void DecideMember_AnyNotice_RefusedForReviewNamingTheHouseholdOrder()
    {
        var member = Member();

        var decision = ConfirmationRules.DecideMember(member, new ConfirmationNotice("wx-1", 38000, null));

        Assert.Equal(ConfirmationOutcome.HouseholdMemberOrder, decision.Outcome);
        Assert.Equal("HOUSEHOLD_MEMBER_ORDER", decision.Reason);
        Assert.True(decision.NeedsReview);
        Assert.Equal(HouseholdId, decision.PayHouseholdOrderId);
        Assert.Contains(HouseholdId.ToString(), decision.Explanation);
        Assert.Same(member, decision.Order);
    }

    [Fact]
    public void EnsureNotMember_MemberOrder_HouseholdMemberOrderWithHouseholdInMetadata()
    {
        var error = Assert.Throws<RuleViolation>(() => HouseholdOrderRules.EnsureNotMember(Member(), "cancel"));

        Assert.Equal("HOUSEHOLD_MEMBER_ORDER", error.Reason);
        Assert.Equal(HouseholdId.ToString(), error.Facts["household_order_id"]);
    }

    [Fact]
    public void CheckHouseholdMembers_EveryMemberStillOwes_NothingToRefuse()
    {
        var members = new[] { Member(), Member() };

        Assert.Null(ConfirmationRules.CheckHouseholdMembers(Household(), members));
    }

    [Fact]
    public void CheckHouseholdMembers_ZeroContributionMemberPaidAtOpening_NothingToRefuse()
    {
        var tekun = PaymentOrderTests.Created(PaymentOrderTests.LiduTierOne with { PersonalFen = 0, SubsidyFen = 38000 })
            with { HouseholdOrderId = HouseholdId };

        Assert.Null(ConfirmationRules.CheckHouseholdMembers(Household(38000), [Member(), tekun]));
    }

    [Fact]
    public void CheckHouseholdMembers_MemberSettledAlone_HouseholdMembersChanged()
    {
        var members = new[] { Member().MarkPaid("wx-alone", Now), Member() };

        var refused = ConfirmationRules.CheckHouseholdMembers(Household(), members);

        Assert.Equal(ConfirmationOutcome.HouseholdMembersChanged, refused!.Outcome);
        Assert.Equal("HOUSEHOLD_MEMBERS_CHANGED", refused.Reason);
    }

    [Fact]
    public void Match_UnpaidOrderOfTheSameAmount_TakesTheMoney()
    {
        Assert.Equal(MatchEffect.TakesMoney,
            ReviewResolutionRules.Match(Review(), PaymentOrderTests.Created(), sameOwner: false, false, Now));
    }

    [Fact]
    public void Match_OrderPaidByAnotherTransaction_RefusedAsTwoPayments()
    {
        var paid = PaymentOrderTests.Created().MarkPaid("wx-1", Now);

        Assert.Equal("REVIEW_TARGET_ALREADY_PAID", ReasonOf(() => ReviewResolutionRules.Match(Review(), paid, true, false, Now)));
    }

    [Fact]
    public void Match_SamePersonsOrderPaidByThisVeryTransaction_AlreadyHeldNothingMoves()
    {
        var paid = PaymentOrderTests.Created().MarkPaid("wx-9", Now);

        Assert.Equal(MatchEffect.AlreadyHeld,
            ReviewResolutionRules.Match(Review(carriesMoney: false), paid, sameOwner: true, false, Now));
    }

    [Fact]
    public void Match_AnotherPersonsOrderPaidByThisTransaction_RefusedOtherPerson()
    {
        var paid = PaymentOrderTests.Created().MarkPaid("wx-9", Now);

        Assert.Equal("REVIEW_TARGET_OTHER_PERSON",
            ReasonOf(() => ReviewResolutionRules.Match(Review(carriesMoney: false), paid, sameOwner: false, false, Now)));
    }

    [Fact]
    public void Match_ItemCarryingNoMoneyToUnpaidOrder_RefusedNoMoney()
    {
        Assert.Equal("REVIEW_CARRIES_NO_MONEY", ReasonOf(() =>
            ReviewResolutionRules.Match(Review(carriesMoney: false), PaymentOrderTests.Created(), true, false, Now)));
    }

    [Fact]
    public void Match_AmountDiffersFromOrder_AmountMismatch()
    {
        Assert.Equal("AMOUNT_MISMATCH", ReasonOf(() =>
            ReviewResolutionRules.Match(Review(amountFen: 37999), PaymentOrderTests.Created(), true, false, Now)));
    }

    [Fact]
    public void Match_ExpiredOrder_RefusedNotPayable()
    {
        Assert.Equal("REVIEW_TARGET_NOT_PAYABLE", ReasonOf(() =>
            ReviewResolutionRules.Match(Review(), PaymentOrderTests.Created(), true, false, Now.AddMinutes(31))));
    }

    [Fact]
    public void Match_PersonsYearPaidThroughAnotherOrder_AlreadyPaid()
    {
        Assert.Equal("ALREADY_PAID", ReasonOf(() =>
            ReviewResolutionRules.Match(Review(), PaymentOrderTests.Created(), true, personYearSettledByAnotherOrder: true, Now)));
    }

    [Fact]
    public void Match_MemberOrder_RefusedHouseholdMemberOrder()
    {
        Assert.Equal("HOUSEHOLD_MEMBER_ORDER", ReasonOf(() => ReviewResolutionRules.Match(Review(), Member(), true, false, Now)));
    }

    [Theory]
    [InlineData("WX-REFUND-77", true)]
    [InlineData("2023112022001/01:7", true)]
    [InlineData("foo", false)]
    [InlineData("-REFUND-1", false)]
    [InlineData("退款 77", false)]
    [InlineData("WX\0REFUND", false)]
    public void IsReturnReference_ChannelRefundNumbers_OnlyLettersDigitsAndSeparators(string reference, bool expected)
    {
        Assert.Equal(expected, ReviewResolutionRules.IsReturnReference(reference));
    }
}
