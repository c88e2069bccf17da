using Grpc.Core;
using Medins.Contribution.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Medins.PaymentCollection.Tests;

/// <summary>
/// TEST DOUBLE in front of the real contribution-calculation: every call payment-collection makes is answered by the
/// real service (the caller's own assertion forwarded), and a quote also says, as the contract's
/// <c>Quote.enrol_household_together</c> does, whether its policy enrols a booklet together — taken from the real
/// service's own household quote of the same person, until the real quote fills that field (another part of issue 16).
/// </summary>
public sealed class ContractContributionCalculation(Func<CallInvoker> realCalculation)
    : ContributionCalculationService.ContributionCalculationServiceBase
{
    public override async Task<QuoteContributionResponse> QuoteContribution(QuoteContributionRequest request,
        ServerCallContext context)
    {
        var headers = FactsIdentityRegistry.Forwarded(context);
        var response = await Client().QuoteContributionAsync(request, headers, cancellationToken: context.CancellationToken);
        if (response.Quote is { EnrolHouseholdTogether: false } quote)
        {
            var household = await Client().QuoteHouseholdAsync(new QuoteHouseholdRequest
            {
                CoverageYear = request.CoverageYear,
                Tier = request.Tier,
                PaymentDate = request.PaymentDate,
                Members =
                {
                    new HouseholdMember
                    {
                        BirthDate = request.BirthDate, PersonGroup = request.PersonGroup, IdentityCodes = { request.IdentityCodes },
                        LifeEvent = request.LifeEvent, DisabilityGrade = request.DisabilityGrade,
                    },
                },
            }, headers, cancellationToken: context.CancellationToken);
            quote.EnrolHouseholdTogether = household.EnrolHouseholdTogether;
        }
        return response;
    }

    public override Task<QuoteHouseholdResponse> QuoteHousehold(QuoteHouseholdRequest request, ServerCallContext context) =>
        Client().QuoteHouseholdAsync(request, FactsIdentityRegistry.Forwarded(context),
            cancellationToken: context.CancellationToken).ResponseAsync;

    public override Task<DecideRefundResponse> DecideRefund(DecideRefundRequest request, ServerCallContext context) =>
        Client().DecideRefundAsync(request, FactsIdentityRegistry.Forwarded(context),
            cancellationToken: context.CancellationToken).ResponseAsync;

    public override Task<GetPolicyResponse> GetPolicy(GetPolicyRequest request, ServerCallContext context) =>
        Client().GetPolicyAsync(request, FactsIdentityRegistry.Forwarded(context),
            cancellationToken: context.CancellationToken).ResponseAsync;

    private ContributionCalculationService.ContributionCalculationServiceClient Client() => new(realCalculation());

    public async Task<WebApplication> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        var app = builder.Build();
        app.MapGrpcService<ContractContributionCalculation>();
        await app.StartAsync();
        return app;
    }
}
