using Google.Protobuf.WellKnownTypes;
using Medins.Payment.V1;

namespace Medins.QuotaTracking.Tests;

/// <summary>Contribution events shaped as payment-collection publishes them (payment/v1/events.proto).</summary>
internal static class ContributionEvents
{
    public static readonly DateTimeOffset Now = new(2023, 11, 20, 1, 30, 0, TimeSpan.Zero);

    public static ContributionPaid Paid(string tenant, string village, long personalFen = 38000,
        PaymentChannel channel = PaymentChannel.WechatPay, string personGroup = "resident", DateTimeOffset? paidAt = null,
        params SubsidyLine[] lines)
    {
        var paid = new ContributionPaid
        {
            TenantId = tenant,
            OrderId = Guid.NewGuid().ToString(),
            ResidentId = Guid.NewGuid().ToString(),
            VillageCode = village,
            CoverageYear = 2024,
            Tier = 1,
            PersonalAmountFen = personalFen,
            SubsidyAmountFen = lines.Sum(l => l.AmountFen),
            Channel = channel,
            ChannelTransactionId = personalFen > 0 ? Guid.NewGuid().ToString("N") : "",
            PaidTime = Timestamp.FromDateTimeOffset(paidAt ?? Now),
            BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
            BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
            PersonGroup = personGroup,
        };
        paid.SubsidyLines.AddRange(lines);
        return paid;
    }

    public static SubsidyLine Line(string category, string fund, long amountFen) =>
        new() { Category = category, FundingSource = fund, AmountFen = amountFen, Description = category };

    /// <summary>A full refund of the whole personal part, withdrawing the payment's subsidy lines.</summary>
    public static ContributionRefunded FullRefund(ContributionPaid paid, string reason = "employee-insurance")
    {
        var refund = new ContributionRefunded
        {
            TenantId = paid.TenantId,
            OrderId = paid.OrderId,
            ResidentId = paid.ResidentId,
            VillageCode = paid.VillageCode,
            CoverageYear = paid.CoverageYear,
            RefundedAmountFen = paid.PersonalAmountFen,
            Reason = reason,
            RefundTime = Timestamp.FromDateTimeOffset(Now.AddDays(3)),
            RefundId = Guid.NewGuid().ToString(),
            Kind = RefundKind.Full,
            Tier = paid.Tier,
            Channel = paid.Channel,
        };
        refund.WithdrawnSubsidyLines.AddRange(paid.SubsidyLines);
        return refund;
    }

    /// <summary>
    /// An identity certified after payment: the new identity's lines replace the payment's (withdrawn), and what they
    /// add to the subsidy goes back to the person.
    /// </summary>
    public static ContributionRefunded DifferentialRefund(ContributionPaid paid, params SubsidyLine[] granted)
    {
        var refund = new ContributionRefunded
        {
            TenantId = paid.TenantId,
            OrderId = paid.OrderId,
            ResidentId = paid.ResidentId,
            VillageCode = paid.VillageCode,
            CoverageYear = paid.CoverageYear,
            RefundedAmountFen = granted.Sum(l => l.AmountFen) - paid.SubsidyLines.Sum(l => l.AmountFen),
            Reason = "identity-certified",
            RefundTime = Timestamp.FromDateTimeOffset(Now.AddDays(5)),
            RefundId = Guid.NewGuid().ToString(),
            Kind = RefundKind.Differential,
            Tier = paid.Tier,
            Channel = paid.Channel,
        };
        refund.WithdrawnSubsidyLines.AddRange(paid.SubsidyLines);
        refund.GrantedSubsidyLines.AddRange(granted);
        return refund;
    }
}
