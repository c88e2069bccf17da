using System.Text.Json;
using Grpc.Core;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using Medins.QuotaTracking.Progress;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.QuotaTracking.Tests;

/// <summary>Weekly snapshots, the behind-schedule check and its event, the weekly bulletin, rankings on ranking days
/// and the gauges. Linjiang's rules (seed 002 §二(三)): Monday snapshots from 6 Nov 2023, 时序进度 from 0% on 1 Nov to
/// 95% on 31 Dec, ranking every two weeks from 13 Nov.</summary>
public sealed class QuotaProgressTests : IAsyncLifetime
{
    private const string Linjiang = "cq-linjiang";
    private const string Gaotan = "500118901201";   // 5027 registered
    private const string Guilin = "500118901202";   // 2540 registered

    // Monday 13 Nov 2023, 08:00 in Beijing.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 11, 13, 0, 0, 0, TimeSpan.Zero));
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = QuotaHost.Create(_db, _time);
        _ = _host.Server;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private QuotaTrackingService.QuotaTrackingServiceClient Client() => new(_host.Channel(Linjiang));

    private SnapshotTaker Snapshots => _host.Services.GetRequiredService<SnapshotTaker>();

    /// <summary>Arranges a village's enrolled count directly (the event path is covered by the counter tests and the replay).</summary>
    private async Task EnrolledAsync(string village, long enrolled)
    {
        await using var cmd = _db.Owner.CreateCommand("""
            INSERT INTO quota_tracking.village_counters (tenant_id, coverage_year, village_code, enrolled_count, paid_count,
              collected_amount_fen, refunded_count, updated_at)
            VALUES ('cq-linjiang', 2024, $1, $2, $2, 0, 0, now())
            ON CONFLICT (tenant_id, coverage_year, village_code) DO UPDATE SET enrolled_count = $2, paid_count = $2
            """);
        cmd.Parameters.Add(new() { Value = village });
        cmd.Parameters.Add(new() { Value = enrolled });
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<List<JsonElement>> BehindEventsAsync()
    {
        await using var cmd = _db.Owner.CreateCommand(
            "SELECT payload::text FROM quota_tracking.outbox WHERE tenant_id = 'cq-linjiang' AND topic = 'quota.behind-schedule' ORDER BY payload->>'villageCode', payload->>'snapshotDate'");
        var events = new List<JsonElement>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) events.Add(JsonDocument.Parse(reader.GetString(0)).RootElement);
        return events;
    }

    [Fact]
    public async Task TakeDue_SnapshotDay_BehindVillagesGetAnEventInTheSameTransaction()
    {
        // 13 Nov: 9500 × 12 / 60 = 1900 bp expected. 高滩村 1000/5027 = 19.89% is ahead; 桂林村 400/2540 = 15.74% behind.
        await EnrolledAsync(Gaotan, 1000);
        await EnrolledAsync(Guilin, 400);

        var all = await Snapshots.TakeDueAsync(CancellationToken.None);

        // Every tenant whose rules make 13 Nov a snapshot day gets one; Linjiang's is the one with targets.
        var taken = Assert.Single(all, s => s.TenantId == Linjiang);
        Assert.All(all.Where(s => s.TenantId != Linjiang), s => Assert.Empty(s.Behind));

        Assert.Equal((Linjiang, new DateOnly(2023, 11, 13), 1900), (taken.TenantId, taken.Date, taken.ExpectedRateBp));
        Assert.Equal(10, taken.Behind.Count);
        Assert.DoesNotContain(Gaotan, taken.Behind);
        var events = await BehindEventsAsync();
        Assert.Equal(10, events.Count);
        var guilin = events.Single(e => e.GetProperty("villageCode").GetString() == Guilin);
        Assert.Equal(1900, guilin.GetProperty("targetRateBp").GetInt32());
        Assert.Equal(1574, guilin.GetProperty("achievedRateBp").GetInt32());
        Assert.Equal(326, guilin.GetProperty("gapBp").GetInt32());
        Assert.Equal("桂林村", guilin.GetProperty("villageName").GetString());
        Assert.Equal(13, guilin.GetProperty("snapshotDate").GetProperty("day").GetInt32());
    }

    [Fact]
    public async Task TakeDue_TwiceTheSameWeek_TakenOnce()
    {
        await Snapshots.TakeDueAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(2));

        Assert.DoesNotContain(await Snapshots.TakeDueAsync(CancellationToken.None), s => s.TenantId == Linjiang);
        Assert.Equal(11, (await BehindEventsAsync()).Count);
    }

    [Fact]
    public async Task TakeDue_SnapshotDay_OneWeeklySnapshotEventAndNoneOnASecondTake()
    {
        // 13 Nov: 1900 bp expected; 桂林村 400/2540 = 15.74% trails, 高滩村 1000/5027 = 19.89% does not.
        await EnrolledAsync(Gaotan, 1000);
        await EnrolledAsync(Guilin, 400);

        await Snapshots.TakeDueAsync(CancellationToken.None);
        await Snapshots.TakeDueAsync(CancellationToken.None);

        await using var cmd = _db.Owner.CreateCommand(
            "SELECT payload::text FROM quota_tracking.outbox WHERE tenant_id = 'cq-linjiang' AND topic = 'quota.weekly-snapshot-taken'");
        var payloads = new List<string>();
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) payloads.Add(reader.GetString(0));
        var taken = Google.Protobuf.JsonParser.Default.Parse<QuotaWeeklySnapshotTaken>(Assert.Single(payloads));
        Assert.Equal(new QuotaWeeklySnapshotTaken
        {
            TenantId = Linjiang,
            CoverageYear = 2024,
            SnapshotDate = new Google.Type.Date { Year = 2023, Month = 11, Day = 13 },
            ExpectedRateBp = 1900,
            VillagesBehindSchedule = 10,
        }, taken);
    }

    [Fact]
    public async Task TakeDue_TwoReplicasRacing_OneSnapshotOneSetOfEvents()
    {
        var results = await Task.WhenAll(Snapshots.TakeDueAsync(CancellationToken.None), Snapshots.TakeDueAsync(CancellationToken.None),
            Snapshots.TakeDueAsync(CancellationToken.None));

        Assert.Equal(1, results.Sum(r => r.Count(s => s.TenantId == Linjiang)));
        Assert.Equal(11, (await BehindEventsAsync()).Count);
    }

    [Fact]
    public async Task GetWeeklyBulletin_SecondWeek_WeeksEnrolmentsGapsAndTownship()
    {
        await EnrolledAsync(Gaotan, 1000);
        await Snapshots.TakeDueAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(7));
        // 20 Nov: 3008 bp expected. 高滩村 1600/5027 = 31.82% ahead; 桂林村 700/2540 = 27.55% behind.
        await EnrolledAsync(Gaotan, 1600);
        await EnrolledAsync(Guilin, 700);
        await Snapshots.TakeDueAsync(CancellationToken.None);

        var bulletin = await Client().GetWeeklyBulletinAsync(new GetWeeklyBulletinRequest { CoverageYear = 2024 });

        Assert.Equal(new Google.Type.Date { Year = 2023, Month = 11, Day = 20 }, bulletin.SnapshotDate);
        Assert.Equal(new Google.Type.Date { Year = 2023, Month = 11, Day = 13 }, bulletin.PreviousSnapshotDate);
        Assert.Equal((3008, 10), (bulletin.ExpectedRateBp, bulletin.VillagesBehindSchedule));
        var gaotan = bulletin.Villages.Single(v => v.VillageCode == Gaotan);
        Assert.Equal((1600L, 600L, 3182, 0, false), (gaotan.EnrolledCount, gaotan.EnrolledThisWeek, gaotan.EnrolmentRateBp, gaotan.GapBp, gaotan.BehindSchedule));
        var guilin = bulletin.Villages.Single(v => v.VillageCode == Guilin);
        Assert.Equal((700L, 700L, 2755, 253, true), (guilin.EnrolledCount, guilin.EnrolledThisWeek, guilin.EnrolmentRateBp, guilin.GapBp, guilin.BehindSchedule));
        var township = Assert.Single(bulletin.Townships);
        // Seed 002 attachment: 37694 registered in 临江镇.
        Assert.Equal(("500118901", "临江镇", 2300L, 1300L, 37694L, 610, 10),
            (township.TownshipCode, township.TownshipName, township.EnrolledCount, township.EnrolledThisWeek, township.Base,
             township.EnrolmentRateBp, township.VillagesBehindSchedule));
        // The first week's bulletin is kept as it was.
        var first = await Client().GetWeeklyBulletinAsync(new GetWeeklyBulletinRequest
        {
            CoverageYear = 2024, SnapshotDate = new Google.Type.Date { Year = 2023, Month = 11, Day = 13 },
        });
        Assert.Equal(1000, first.Villages.Single(v => v.VillageCode == Gaotan).EnrolledCount);
        Assert.Null(first.PreviousSnapshotDate);
    }

    [Fact]
    public async Task GetWeeklyBulletin_NoneTakenYet_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client().GetWeeklyBulletinAsync(new GetWeeklyBulletinRequest { CoverageYear = 2024 }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("SNAPSHOT_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task GetWeeklyBulletin_NotASnapshotDay_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client().GetWeeklyBulletinAsync(new GetWeeklyBulletinRequest
        {
            CoverageYear = 2024, SnapshotDate = new Google.Type.Date { Year = 2023, Month = 11, Day = 14 },
        }).ResponseAsync);

        Assert.Equal("NOT_A_SNAPSHOT_DAY", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task GetVillageRanking_RankingDay_TheSnapshotsFiguresNotTodays()
    {
        await EnrolledAsync(Gaotan, 1000);
        await EnrolledAsync(Guilin, 600);
        await Snapshots.TakeDueAsync(CancellationToken.None);
        await EnrolledAsync(Guilin, 2000);

        var ranking = await Client().GetVillageRankingAsync(new GetVillageRankingRequest
        {
            CoverageYear = 2024, RankingDate = new Google.Type.Date { Year = 2023, Month = 11, Day = 13 },
        });
        var live = await Client().GetVillageRankingAsync(new GetVillageRankingRequest { CoverageYear = 2024 });

        Assert.False(ranking.Live);
        // 13 Nov: 桂林村 600/2540 = 23.62% leads 高滩村 1000/5027 = 19.89%.
        Assert.Equal([(Guilin, 600L), (Gaotan, 1000L)], ranking.Standings.Take(2).Select(s => (s.VillageCode, s.EnrolledCount)));
        Assert.Equal([(Guilin, 2000L), (Gaotan, 1000L)], live.Standings.Take(2).Select(s => (s.VillageCode, s.EnrolledCount)));
    }

    [Fact]
    public async Task RefreshGauges_BehindVillagesAndTownshipRatio()
    {
        // 13 Nov: 1900 bp expected; only 高滩村 is ahead.
        await EnrolledAsync(Gaotan, 1000);

        await _host.Services.GetRequiredService<ProgressGauges>().RefreshAsync(await Snapshots.AllRulesAsync(CancellationToken.None), CancellationToken.None);

        var metrics = await _host.CreateClient().GetStringAsync("/metrics");
        Assert.Contains("medins_quota_villages_behind_schedule{tenant=\"cq-linjiang\"} 10\n", metrics);
        var ratio = metrics.Split('\n').Single(l => l.StartsWith("medins_quota_township_enrolment_ratio{tenant=\"cq-linjiang\",township=\"500118901\"}"));
        Assert.Equal(1000.0 / 37694, double.Parse(ratio.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), 9);
    }
}
