using Grpc.Core;
using Medins.Contribution.V1;
using Medins.ContributionCalculation.Domain;
using Medins.Platform.Hosting;

namespace Medins.ContributionCalculation.Grpc;

/// <summary>Refund decisions: the policy that priced a payment decides whether, and how much of, it is returned.</summary>
public sealed partial class ContributionCalculationGrpcService
{
    /// <summary>The reason of a differential refund: an identity certified after the person paid as ordinary.</summary>
    public const string IdentityCertifiedReason = "identity-certified";

    public override async Task<DecideRefundResponse> DecideRefund(DecideRefundRequest request, ServerCallContext context)
    {
        var differential = request.Reason == IdentityCertifiedReason;
        new RequestValidator()
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .Check(request.PolicyVersion > 0, "policy_version", "must name the version that priced the payment")
            .Require(request.Reason, "reason")
            .Check(request.Reason.Length <= QuoteMapping.MaxTextLength, "reason", $"must be at most {QuoteMapping.MaxTextLength} characters")
            .Check(request.DecisionDate is null || request.DecisionDate.ToDateOnly() is not null, "decision_date", "must be a full calendar date")
            .Check(request.EventDate is null || request.EventDate.ToDateOnly() is not null, "event_date", "must be a full calendar date")
            .Check(request.PaidPersonalAmountFen >= 0, "paid_personal_amount_fen", "must not be negative")
            .Check(request.BenefitStartDate.ToDateOnly() is not null, "benefit_start_date", "must be a full calendar date")
            .Check(!differential || request.PaymentDate.ToDateOnly() is not null, "payment_date",
                "must be the original payment day for a differential refund")
            .CheckFacts("", request.Tier, request.PersonGroup, request.IdentityCodes, null, 0, request.BirthDate)
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        var policy = await db.InTenantAsync(tenantId, (conn, tx) =>
            CompileAsync(conn, tx, tenantId, request.CoverageYear, request.PolicyVersion, ct), ct)
            ?? throw RpcErrors.NotFound(ErrorReason.PolicyNotFound,
                $"No contribution policy version {request.PolicyVersion} is published for coverage year {request.CoverageYear}.");
        var decisionDate = request.DecisionDate.ToDateOnly() ?? ShanghaiCalendar.Today(time);

        var decision = differential
            ? policy.DecideDifferentialRefund(policy.PolicyId, request.PaidPersonalAmountFen,
                QuoteMapping.ToFacts(request.CoverageYear, request.Tier, request.PaymentDate.ToDateOnly()!.Value,
                    request.BirthDate.ToDateOnly(), request.PersonGroup, request.IdentityCodes, null, 0),
                decisionDate)
            : policy.DecideRefund(request.Reason, request.EventDate.ToDateOnly() ?? decisionDate, request.BenefitStartDate.ToDateOnly()!.Value,
                request.PaidPersonalAmountFen);
        return new DecideRefundResponse
        {
            Allowed = decision.Allowed,
            DecisionReason = decision.Reason,
            RefundAmountFen = decision.AmountFen,
            Explanation = decision.Message,
            PolicyId = policy.PolicyId,
            Requote = decision.Requote is { } requote ? QuoteMapping.ToProto(requote) : null,
        };
    }
}
