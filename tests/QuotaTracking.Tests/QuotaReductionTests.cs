using Grpc.Core;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.QuotaTracking.Tests;

/// <summary>Seed 002 §二(二): tasks reduced on a police deregistration certificate or proof of employee or
/// other-region insurance, before the campaign ends (the rules: 2023-12-31).</summary>
public sealed class QuotaReductionTests : IAsyncLifetime
{
    private const string Linjiang = "cq-linjiang";
    private const string Gaotan = "500118901201";
    private const string Guilin = "500118901202";

    // 10:00 on 20 December 2023 in Beijing.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 12, 20, 2, 0, 0, TimeSpan.Zero));
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

    private QuotaTrackingService.QuotaTrackingServiceClient Client(string client = "linjiang-social-security-office") =>
        new(_host.Channel(Linjiang, client: client));

    private static ReduceVillageTaskRequest Reduction(string requestId, string village = Gaotan, int people = 1,
        ReductionEvidence evidence = ReductionEvidence.DeregistrationCertificate, string reference = "永公户注〔2023〕118号") => new()
    {
        RequestId = requestId,
        CoverageYear = 2024,
        VillageCode = village,
        PersonCount = people,
        Evidence = evidence,
        EvidenceReference = reference,
        Note = "死亡注销",
    };

    private async Task<VillageProgress> ProgressAsync(string village) =>
        (await Client().GetVillageProgressAsync(new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = village })).Progress;

    [Fact]
    public async Task ReduceVillageTask_GaoyangWhoseSeedGrantsNone_FailedPreconditionReductionsNotGranted()
    {
        // Only seed 002 二（二） grants task reductions; seed 004 states none, so Gaoyang's rules have none.
        var gaoyang = new QuotaTrackingService.QuotaTrackingServiceClient(_host.Channel("he-gaoyang"));
        var request = Reduction("g-1", village: "130628902201");

        var ex = await Assert.ThrowsAsync<RpcException>(() => gaoyang.ReduceVillageTaskAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("REDUCTIONS_NOT_GRANTED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ReduceVillageTask_BeforeClose_BaseAndTaskLowerAndAudited()
    {
        // Seed 002 attachment: 高滩村 5027 registered, task 4776.
        var response = await Client().ReduceVillageTaskAsync(Reduction("r-1", people: 2));

        Assert.Equal((5025L, 4774L, 2L), (response.Progress.Base, response.Progress.Task, response.Progress.ReducedCount));
        Assert.Equal("linjiang-social-security-office", response.Reduction.RecordedBy);
        Assert.Equal(_time.GetUtcNow(), response.Reduction.RecordTime.ToDateTimeOffset());
        var progress = await ProgressAsync(Gaotan);
        Assert.Equal((5025L, 4774L), (progress.Base, progress.Task));
        var listed = Assert.Single((await Client().ListTaskReductionsAsync(new ListTaskReductionsRequest { CoverageYear = 2024 })).Reductions);
        Assert.Equal(response.Reduction, listed);
        Assert.Equal(("永公户注〔2023〕118号", "死亡注销", 2), (listed.EvidenceReference, listed.Note, listed.PersonCount));
    }

    [Fact]
    public async Task ReduceVillageTask_ReductionMovesTheRateOverABoundary()
    {
        // 桂林村: 2540 registered; 2366 enrolled is 93.15%; ten deregistrations make it 2366 / 2530 = 93.517…%.
        await using (var cmd = _db.Owner.CreateCommand("""
            INSERT INTO quota_tracking.village_counters (tenant_id, coverage_year, village_code, enrolled_count, paid_count, collected_amount_fen, refunded_count, updated_at)
            VALUES ('cq-linjiang', 2024, '500118901202', 2366, 2366, 0, 0, now())
            """))
            await cmd.ExecuteNonQueryAsync();
        Assert.Equal(9314, (await ProgressAsync(Guilin)).EnrolmentRateBp);

        var response = await Client().ReduceVillageTaskAsync(Reduction("r-guilin", Guilin, people: 10, reference: "永公户注〔2023〕200号"));

        Assert.Equal(9351, response.Progress.EnrolmentRateBp);
    }

    [Fact]
    public async Task ReduceVillageTask_OnTheLastDay_Accepted()
    {
        _time.SetUtcNow(new DateTimeOffset(2023, 12, 31, 15, 59, 0, TimeSpan.Zero)); // 23:59 on 31 Dec in Beijing

        var response = await Client().ReduceVillageTaskAsync(Reduction("r-last-day", evidence: ReductionEvidence.EmployeeInsurance, reference: "职工医保-0001"));

        Assert.Equal(1, response.Progress.ReducedCount);
    }

    [Fact]
    public async Task ReduceVillageTask_AfterTheCampaignCloses_FailedPreconditionNothingStored()
    {
        _time.SetUtcNow(new DateTimeOffset(2023, 12, 31, 16, 0, 0, TimeSpan.Zero)); // 00:00 on 1 Jan 2024 in Beijing

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client().ReduceVillageTaskAsync(Reduction("r-late")).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("CAMPAIGN_CLOSED", RpcErrors.ReasonOf(ex));
        Assert.Equal("2023-12-31", ex.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Metadata["reductions_until"]);
        Assert.Equal(0, (await ProgressAsync(Gaotan)).ReducedCount);
        Assert.Empty((await Client().ListTaskReductionsAsync(new ListTaskReductionsRequest { CoverageYear = 2024 })).Reductions);
    }

    [Fact]
    public async Task ReduceVillageTask_ReplayedAfterClose_FirstAnswerAndReducedOnce()
    {
        var first = await Client().ReduceVillageTaskAsync(Reduction("r-replay"));
        _time.SetUtcNow(new DateTimeOffset(2024, 1, 5, 2, 0, 0, TimeSpan.Zero));

        var again = await Client().ReduceVillageTaskAsync(Reduction("r-replay"));

        Assert.Equal(first, again);
        Assert.Equal(1, (await ProgressAsync(Gaotan)).ReducedCount);
    }

    [Fact]
    public async Task ReduceVillageTask_SameEvidenceUnderAnotherRequestId_AlreadyExists()
    {
        var first = await Client().ReduceVillageTaskAsync(Reduction("r-a"));

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client().ReduceVillageTaskAsync(Reduction("r-b", Guilin)).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Equal("EVIDENCE_ALREADY_USED", RpcErrors.ReasonOf(ex));
        Assert.Equal(first.Reduction.ReductionId, ex.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Metadata["reduction_id"]);
        Assert.Equal(0, (await ProgressAsync(Guilin)).ReducedCount);
    }

    [Fact]
    public async Task ReduceVillageTask_SameReferenceOtherEvidenceKind_Accepted()
    {
        await Client().ReduceVillageTaskAsync(Reduction("r-c", reference: "0001"));

        await Client().ReduceVillageTaskAsync(Reduction("r-d", reference: "0001", evidence: ReductionEvidence.OtherRegionInsurance));

        Assert.Equal(2, (await ProgressAsync(Gaotan)).ReducedCount);
    }

    [Fact]
    public async Task ReduceVillageTask_MoreThanTheBase_FailedPrecondition()
    {
        // 临江社区: 2358 registered.
        await Client().ReduceVillageTaskAsync(Reduction("r-e", "500118901001", people: 1000, reference: "批量-1"));
        await Client().ReduceVillageTaskAsync(Reduction("r-f", "500118901001", people: 1000, reference: "批量-2"));

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client().ReduceVillageTaskAsync(Reduction("r-g", "500118901001", people: 359, reference: "批量-3")).ResponseAsync);

        Assert.Equal("REDUCTION_EXCEEDS_BASE", RpcErrors.ReasonOf(ex));
        Assert.Equal(2000, (await ProgressAsync("500118901001")).ReducedCount);
    }

    [Fact]
    public async Task ReduceVillageTask_VillageWithoutTarget_FailedPreconditionNoTarget()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client().ReduceVillageTaskAsync(Reduction("r-h", "500118901299")).ResponseAsync);

        Assert.Equal("NO_TARGET", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ReduceVillageTask_BadInput_EveryViolation()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client().ReduceVillageTaskAsync(new ReduceVillageTaskRequest
        {
            RequestId = "r-bad", CoverageYear = 2024, VillageCode = Gaotan, PersonCount = 0,
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal(["person_count", "evidence", "evidence_reference"],
            ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Select(v => v.Field));
    }

    [Fact]
    public async Task ListTaskReductions_FilteredByVillageAndPaged_InRecordedOrder()
    {
        for (var i = 0; i < 5; i++)
        {
            await Client().ReduceVillageTaskAsync(Reduction($"r-list-{i}", i % 2 == 0 ? Gaotan : Guilin, reference: $"证明-{i}"));
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        var seen = new List<string>();
        var token = "";
        do
        {
            var page = await Client().ListTaskReductionsAsync(new ListTaskReductionsRequest
            {
                CoverageYear = 2024, VillageCode = Gaotan, PageSize = 2, PageToken = token,
            });
            seen.AddRange(page.Reductions.Select(r => r.EvidenceReference));
            token = page.NextPageToken;
        } while (token != "");

        Assert.Equal(["证明-0", "证明-2", "证明-4"], seen);
    }
}
