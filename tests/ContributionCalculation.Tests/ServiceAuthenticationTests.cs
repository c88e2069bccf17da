using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Medins.Contribution.V1;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Testing;

namespace Medins.ContributionCalculation.Tests;

/// <summary>contribution-calculation reached directly: headers alone publish no policy and quote for nobody.</summary>
public sealed class ServiceAuthenticationTests : IAsyncLifetime
{
    private const string Gaoyang = "he-gaoyang";
    private CalculationPlatform _p = null!;

    public async Task InitializeAsync() => _p = await CalculationPlatform.StartAsync();

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private Task<long> PoliciesAsync() => _p.ScalarAsync<long>("SELECT count(*) FROM contribution_calculation.policies");

    private async Task<PublishPolicyRequest> RepublishGaoyangAsync()
    {
        var shipped = (await _p.Client(Gaoyang).GetPolicyAsync(new GetPolicyRequest { CoverageYear = 2024, Version = 1 })).Policy.DocumentJson;
        return new PublishPolicyRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            DocumentJson = "// forged\n" + shipped,
            EffectiveFrom = new Google.Type.Date { Year = 2023, Month = 12, Day = 1 },
        };
    }

    [Fact]
    public async Task PublishPolicy_ForgedCityScopeHeadersNoAssertion_UnauthenticatedAndNothingPublished()
    {
        var request = await RepublishGaoyangAsync();
        var before = await PoliciesAsync();
        var forged = new ContributionCalculationService.ContributionCalculationServiceClient(_p.Host.AnonymousChannel());

        await ForgedCalls.AssertRefusedAsync(forged.PublishPolicyAsync(request, ForgedCalls.Metadata()).ResponseAsync,
            StatusCode.Unauthenticated, AssertionReasons.Missing);

        Assert.Equal(before, await PoliciesAsync());
        // The same request with the gateway's assertion is published: the refusal was the assertion's.
        await _p.Client(null, cityScope: true, client: "bureau-admin").PublishPolicyAsync(request);
        Assert.Equal(before + 1, await PoliciesAsync());
    }

    [Fact]
    public async Task PoliciesAndQuotesJson_ForgedHeadersNoAssertion_401AndNothingPublished()
    {
        var request = await RepublishGaoyangAsync();
        var before = await PoliciesAsync();
        using var http = ForgedCalls.With(_p.Host.CreateClient());

        using var publish = await http.PostAsync("/v1/policies", new StringContent(
            JsonSerializer.Serialize(new { requestId = request.RequestId, documentJson = request.DocumentJson,
                effectiveFrom = new { year = 2023, month = 12, day = 1 } }), Encoding.UTF8, "application/json"));
        using var quote = await http.PostAsync("/v1/quotes", new StringContent("""{"coverageYear":2024}""", Encoding.UTF8, "application/json"));

        await ForgedCalls.AssertRefusedAsync(publish, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        await ForgedCalls.AssertRefusedAsync(quote, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        Assert.DoesNotContain("personalAmountFen", await quote.Content.ReadAsStringAsync());
        Assert.Equal(before, await PoliciesAsync());
    }
}
