using Medins.Contribution.V1;
using Medins.PaymentCollection.Orders;
using Medins.Platform.Hosting.Grpc;

namespace Medins.PaymentCollection.Refunds;

/// <summary>Asks contribution-calculation, under the platform's default deadline, what a policy says about a refund.</summary>
public sealed class RefundPolicy(TimeProvider time,
    ContributionCalculationService.ContributionCalculationServiceClient contributionCalculation)
{
    private const string ContributionCalculation = "contribution-calculation";

    /// <summary>Asks the policy version that priced the order whether (and how much of) it is refunded.</summary>
    public async Task<PolicyRefundDecision> DecideRefundAsync(DecideRefundRequest request, CancellationToken ct)
    {
        var response = await UpstreamCalls.CallAsync(ContributionCalculation, callCt =>
            contributionCalculation.DecideRefundAsync(request, cancellationToken: callCt).ResponseAsync, time, ct);
        return new PolicyRefundDecision(response.Allowed, response.DecisionReason, response.RefundAmountFen, response.Explanation)
        {
            RequotedSubsidyLines = response.Requote is { } requote ? ResidentPricing.SubsidyLinesOf(requote) : [],
        };
    }
}
