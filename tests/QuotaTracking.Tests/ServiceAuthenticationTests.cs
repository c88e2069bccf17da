using System.Net;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Platform.Hosting.Messaging;
using Medins.Payment.V1;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using Microsoft.Extensions.Time.Testing;

namespace Medins.QuotaTracking.Tests;

/// <summary>quota-tracking reached directly: headers reduce no task, and a forged contribution.paid counts nobody.</summary>
public sealed class ServiceAuthenticationTests : IAsyncLifetime
{
    private const string Linjiang = "cq-linjiang";
    private const string Gaotan = "500118901201"; // 高滩村, seed 002 attachment
    private static readonly DateTimeOffset Now = new(2023, 11, 20, 1, 30, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = QuotaHost.Create(_db, _time);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private static ReduceVillageTaskRequest Reduction() => new()
    {
        RequestId = Guid.NewGuid().ToString(),
        CoverageYear = 2024,
        VillageCode = Gaotan,
        PersonCount = 2,
        Evidence = ReductionEvidence.DeregistrationCertificate,
        EvidenceReference = "永公户注〔2023〕118号",
    };

    private async Task<VillageProgress> ProgressAsync() =>
        (await new QuotaTrackingService.QuotaTrackingServiceClient(_host.Channel(Linjiang))
            .GetVillageProgressAsync(new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = Gaotan })).Progress;

    private async Task<long> CountAsync(string table)
    {
        await using var cmd = _db.Owner.CreateCommand($"SELECT count(*) FROM quota_tracking.{table}");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task ReduceVillageTask_ForgedTenantHeadersNoAssertion_UnauthenticatedAndTaskUnchanged()
    {
        var before = await ProgressAsync();
        var forged = new QuotaTrackingService.QuotaTrackingServiceClient(_host.AnonymousChannel());

        await ForgedCalls.AssertRefusedAsync(forged.ReduceVillageTaskAsync(Reduction(), ForgedCalls.Metadata()).ResponseAsync,
            StatusCode.Unauthenticated, AssertionReasons.Missing);

        Assert.Equal(before, await ProgressAsync());
    }

    [Fact]
    public async Task VillageProgressJson_ForgedTenantHeadersNoAssertion_401AndNothingReadOrWritten()
    {
        var before = await ProgressAsync();
        using var http = ForgedCalls.With(_host.CreateClient());

        using var read = await http.GetAsync($"/v1/villageProgress/2024/{Gaotan}");
        using var reduce = await http.PostAsync($"/v1/villageProgress/2024/{Gaotan}:reduceTask", new StringContent(
            $$"""{"requestId":"{{Guid.NewGuid()}}","personCount":2,"evidence":"REDUCTION_EVIDENCE_DEREGISTRATION_CERTIFICATE","evidenceReference":"x"}""",
            Encoding.UTF8, "application/json"));

        await ForgedCalls.AssertRefusedAsync(read, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        await ForgedCalls.AssertRefusedAsync(reduce, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        Assert.DoesNotContain(Gaotan, await read.Content.ReadAsStringAsync());
        Assert.Equal(before, await ProgressAsync());
    }

    [Fact]
    public async Task ContributionPaidEvent_ForgedUnsignedOrWrongPublisher_RefusedAndNotCounted()
    {
        var paid = new ContributionPaid
        {
            TenantId = Linjiang,
            OrderId = Guid.NewGuid().ToString(),
            ResidentId = Guid.NewGuid().ToString(),
            VillageCode = Gaotan,
            CoverageYear = 2024,
            Tier = 1,
            PersonalAmountFen = 38000, // Chongqing tier 1, 380 yuan (seed 000 §2)
            Channel = PaymentChannel.WechatPay,
            ChannelTransactionId = "forged",
            PaidTime = Timestamp.FromDateTimeOffset(Now),
            BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
            BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
        };
        var before = await ProgressAsync();
        using var http = _host.CreateClient();

        using var unsigned = await CloudEventPoster.PostRawAsync(http, EventTopics.ContributionPaid,
            CloudEventPoster.Envelope(EventTopics.ContributionPaid, Linjiang, paid), null, ForgedCalls.Headers);
        using var wrongPublisher = await CloudEventPoster.PostAsync(http, EventTopics.ContributionPaid, Linjiang, paid,
            publisher: "identity-registry");

        await ForgedCalls.AssertRefusedAsync(unsigned, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        await ForgedCalls.AssertRefusedAsync(wrongPublisher, HttpStatusCode.Forbidden, EventDeliveryAuthenticator.PublisherNotAllowed);
        Assert.Equal(0, await CountAsync("inbox"));
        Assert.Equal(before, await ProgressAsync());
        // Signed by its publisher, the same event counts her: the refusals were the signatures'.
        await CloudEventPoster.DeliverAsync(http, EventTopics.ContributionPaid, Linjiang, paid);
        Assert.Equal(before.EnrolledCount + 1, (await ProgressAsync()).EnrolledCount);
    }
}
