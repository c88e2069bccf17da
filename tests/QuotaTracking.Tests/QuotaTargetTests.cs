using Grpc.Core;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Medins.Quota.V1;

namespace Medins.QuotaTracking.Tests;

public sealed class QuotaTargetTests : IAsyncLifetime
{
    private const string Linjiang = "cq-linjiang";
    private const string Gaoyang = "he-gaoyang";
    private const string Lidu = "cq-lidu";
    // Demo city divisions (synthetic codes under the seeds' counties).
    private const string Gaotan = "500118901201";
    private const string Pangkou = "130628902201";
    private const string Xiyan = "130628903201";
    private const string LiduCommunity = "500102901001";

    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = QuotaHost.Create(_db);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private QuotaTrackingService.QuotaTrackingServiceClient Client(string tenant) => new(_host.Channel(tenant));

    private static ImportVillageTargetsRequest Import(string requestId, params VillageTargetInput[] villages)
    {
        var request = new ImportVillageTargetsRequest { RequestId = requestId, CoverageYear = 2024 };
        request.Villages.AddRange(villages);
        return request;
    }

    private async Task<VillageProgress> ProgressAsync(string tenant, string village) =>
        (await Client(tenant).GetVillageProgressAsync(new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = village })).Progress;

    [Fact]
    public async Task GetQuotaRules_Linjiang_TheShippedDocumentWithItsComments()
    {
        var rules = await Client(Linjiang).GetQuotaRulesAsync(new GetQuotaRulesRequest { CoverageYear = 2024 });

        Assert.Equal(ShippedRules.Text("cq-linjiang-2024"), rules.Document);
        Assert.Equal("临江镇2024年度城乡居民医保参保筹资任务、进度与奖惩", rules.Name);
    }

    [Fact]
    public async Task GetQuotaRules_YearWithoutRules_FailedPreconditionNoQuotaRules()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client(Linjiang).GetQuotaRulesAsync(new GetQuotaRulesRequest { CoverageYear = 2025 }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("NO_QUOTA_RULES", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task GetVillageProgress_LinjiangDemoTaskTable_BaseIsRegisteredPopulation()
    {
        // Seed 002 attachment: 高滩村 registered 5027, task 4776.
        var progress = await ProgressAsync(Linjiang, Gaotan);

        Assert.Equal(5027, progress.Base);
        Assert.Equal(4776, progress.Task);
        Assert.Equal(0, progress.EnrolmentRateBp);
        Assert.Equal("高滩村", progress.VillageName);
        Assert.Equal("500118901", progress.TownshipCode);
    }

    [Fact]
    public async Task ImportVillageTargets_GaoyangResidentPopulation_NinetyFivePercentNotBelowLastYear()
    {
        // Seed 004 §一(三)1: the base is the resident population; 95% and not below 2023's enrolled count.
        var response = await Client(Gaoyang).ImportVillageTargetsAsync(Import("gaoyang-targets-1",
            new VillageTargetInput { VillageCode = Pangkou, ResidentPopulation = 1000, LastYearEnrolled = 960 },
            new VillageTargetInput { VillageCode = Xiyan, ResidentPopulation = 2001, LastYearEnrolled = 1500 }));

        Assert.Equal([960L, 1901L], response.Targets.Select(t => t.Task));
        Assert.Equal([true, false], response.Targets.Select(t => t.RaisedToLastYear));
        Assert.All(response.Targets, t => Assert.Equal(TaskSource.Computed, t.Source));
        Assert.Equal(3001, response.TotalBase);
        Assert.Equal(2861, response.TotalTask);
        var progress = await ProgressAsync(Gaoyang, Pangkou);
        Assert.Equal(1000, progress.Base);
        Assert.Equal(960, progress.Task);
    }

    [Fact]
    public async Task ImportVillageTargets_LiduWithoutLastYear_TakesLastYearsCountersKeptHere()
    {
        // Seed 000 §二: Lidu's village targets are 2023's actual enrolled counts; 2023's counters are here.
        await using (var cmd = _db.Owner.CreateCommand("""
            INSERT INTO quota_tracking.village_counters (tenant_id, coverage_year, village_code, enrolled_count, collected_amount_fen, refunded_count, updated_at)
            VALUES ('cq-lidu', 2023, '500102901001', 812, 0, 0, now())
            """))
            await cmd.ExecuteNonQueryAsync();

        var response = await Client(Lidu).ImportVillageTargetsAsync(Import("lidu-targets-1",
            new VillageTargetInput { VillageCode = LiduCommunity }));

        var target = Assert.Single(response.Targets);
        Assert.Equal(812, target.Base);
        Assert.Equal(812, target.Task);
    }

    [Fact]
    public async Task ImportVillageTargets_GaoyangAfterDemoRoster_RaisedToLastYearsEnrolledFromTheRoster()
    {
        // Seed 004 一（三）1: 95% of the resident population and 不低于2023年城乡居民参保人数. Three people of 庞口 on the
        // registry's 2023 roster (one refunded, so not enrolled); the demo load turns the roster into last year's count.
        await using (var cmd = _db.Owner.CreateCommand("""
            INSERT INTO identity_registry.residents (tenant_id, resident_id, national_id_encrypted, national_id_hash, birth_date, sex, name,
                                                     village_code, registration_type, created_at)
            SELECT 'he-gaoyang', gen_random_uuid(), '\x00'::bytea, decode(md5('roster-' || n), 'hex'), date '1970-01-01', 'female',
                   '居民' || n, '130628902201', 'household_registered', now()
            FROM generate_series(1, 4) AS n;
            INSERT INTO identity_registry.enrolments (tenant_id, resident_id, coverage_year, status, personal_amount_fen, updated_at)
            SELECT tenant_id, resident_id, 2023, CASE WHEN name = '居民4' THEN 'refunded' ELSE 'enrolled' END, 35000, now()
            FROM identity_registry.residents WHERE tenant_id = 'he-gaoyang' AND name LIKE '居民_';
            """))
            await cmd.ExecuteNonQueryAsync();
        await LoadDemoQuotaSqlAsync();

        var response = await Client(Gaoyang).ImportVillageTargetsAsync(Import("gaoyang-roster",
            new VillageTargetInput { VillageCode = Pangkou, ResidentPopulation = 2 }));

        // 95% of 2 is 2 (ceiling); last year's 3 enrolled is higher, so the task is 3.
        var target = Assert.Single(response.Targets);
        Assert.Equal((2L, 3L, true), (target.Base, target.Task, target.RaisedToLastYear));
    }

    /// <summary>Runs the demo city's quota_tracking.sql again, as the migrator does (owner, search path quota_tracking).</summary>
    private async Task LoadDemoQuotaSqlAsync()
    {
        using var stream = typeof(Medins.Migrator.PlatformMigrator).Assembly.GetManifestResourceStream("demo-city/quota_tracking.sql")!;
        using var reader = new StreamReader(stream);
        var sql = await reader.ReadToEndAsync();
        await using var conn = await _db.Owner.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var path = new Npgsql.NpgsqlCommand("SET LOCAL search_path TO quota_tracking", conn, tx))
            await path.ExecuteNonQueryAsync();
        await using (var load = new Npgsql.NpgsqlCommand(sql, conn, tx))
            await load.ExecuteNonQueryAsync();
        await tx.CommitAsync();
    }

    [Fact]
    public async Task ImportVillageTargets_BaseMissing_InvalidTargetsNamingTheField()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Gaoyang).ImportVillageTargetsAsync(Import("gaoyang-targets-2",
            new VillageTargetInput { VillageCode = Pangkou, ResidentPopulation = 1000 },
            new VillageTargetInput { VillageCode = Xiyan, RegisteredPopulation = 2000 })).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("INVALID_TARGETS", RpcErrors.ReasonOf(ex));
        var field = Assert.Single(ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations);
        Assert.Equal("villages[1].resident_population", field.Field);
        // Nothing of the refused import is stored.
        await Assert.ThrowsAsync<RpcException>(() => ProgressAsync(Gaoyang, Pangkou));
    }

    [Fact]
    public async Task ImportVillageTargets_UnknownVillage_InvalidArgumentUnknownVillage()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Linjiang).ImportVillageTargetsAsync(Import("linjiang-targets-x",
            new VillageTargetInput { VillageCode = "500118901299", RegisteredPopulation = 100 })).ResponseAsync);

        Assert.Equal("UNKNOWN_VILLAGE", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ImportVillageTargets_AnotherTenantsVillage_UnknownVillage()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Gaoyang).ImportVillageTargetsAsync(Import("cross-tenant",
            new VillageTargetInput { VillageCode = Gaotan, ResidentPopulation = 100 })).ResponseAsync);

        Assert.Equal("UNKNOWN_VILLAGE", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ImportVillageTargets_KeyGroupBases_TargetReachesTheGroupRate()
    {
        // Seed 002 §一: poverty-alleviated and monitored people ≥ 99%.
        var input = new VillageTargetInput { VillageCode = Gaotan, RegisteredPopulation = 5027, Task = 4776 };
        input.KeyGroupBases.Add("poverty-alleviated-and-monitored", 157);

        var response = await Client(Linjiang).ImportVillageTargetsAsync(Import("linjiang-key-groups", input));

        var target = Assert.Single(response.Targets);
        Assert.Equal(TaskSource.TaskTable, target.Source);
        Assert.Equal(4776, target.Task);
        Assert.Equal([("poverty-alleviated-and-monitored", 156L)], target.KeyGroups.Select(g => (g.KeyGroup, g.Target)));
        var progress = await ProgressAsync(Linjiang, Gaotan);
        var poverty = progress.KeyGroups.Single(g => g.KeyGroup == "poverty-alleviated-and-monitored");
        Assert.Equal(157, poverty.Base);
        Assert.Equal(9900, poverty.TargetRateBp);
        Assert.Equal("脱贫人口和低收入监测对象", poverty.Name);
        Assert.False(poverty.Reached);
    }

    [Fact]
    public async Task ImportVillageTargets_UnknownKeyGroup_InvalidTargets()
    {
        var input = new VillageTargetInput { VillageCode = Gaotan, RegisteredPopulation = 5027 };
        input.KeyGroupBases.Add("veterans", 10);

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Linjiang).ImportVillageTargetsAsync(Import("linjiang-kg-x", input)).ResponseAsync);

        Assert.Equal("INVALID_TARGETS", RpcErrors.ReasonOf(ex));
        Assert.Equal("villages[0].key_group_bases[veterans]",
            Assert.Single(ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task ImportVillageTargets_ReplayedRequestId_FirstAnswerAndOneAuditRow()
    {
        var request = Import("gaoyang-replay", new VillageTargetInput { VillageCode = Pangkou, ResidentPopulation = 1000 });

        var first = await Client(Gaoyang).ImportVillageTargetsAsync(request);
        var again = await Client(Gaoyang).ImportVillageTargetsAsync(request);

        Assert.Equal(first, again);
        await using var cmd = _db.Owner.CreateCommand(
            "SELECT count(*) FROM quota_tracking.target_imports WHERE tenant_id = 'he-gaoyang' AND request_id = 'gaoyang-replay'");
        Assert.Equal(1L, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ImportVillageTargets_RequestIdReusedForOtherContent_FailedPrecondition()
    {
        await Client(Gaoyang).ImportVillageTargetsAsync(Import("gaoyang-reuse", new VillageTargetInput { VillageCode = Pangkou, ResidentPopulation = 1000 }));

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Gaoyang).ImportVillageTargetsAsync(
            Import("gaoyang-reuse", new VillageTargetInput { VillageCode = Pangkou, ResidentPopulation = 1200 })).ResponseAsync);

        Assert.Equal("REQUEST_ID_REUSED", RpcErrors.ReasonOf(ex));
        Assert.Equal(1000, (await ProgressAsync(Gaoyang, Pangkou)).Base);
    }

    [Fact]
    public async Task ImportVillageTargets_BadInput_EveryViolationAtOnce()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Gaoyang).ImportVillageTargetsAsync(new ImportVillageTargetsRequest
        {
            CoverageYear = 1999,
            Villages =
            {
                new VillageTargetInput { VillageCode = Pangkou, ResidentPopulation = -1 },
                new VillageTargetInput { VillageCode = Pangkou, ResidentPopulation = 5 },
            },
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var fields = ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Select(v => v.Field).ToList();
        Assert.Equal(["request_id", "coverage_year", "villages[0].resident_population", "villages[1].village_code"], fields);
    }

    [Fact]
    public async Task ImportVillageTargets_YearWithoutRules_FailedPrecondition()
    {
        var request = Import("linjiang-2025", new VillageTargetInput { VillageCode = Gaotan, RegisteredPopulation = 5000 });
        request.CoverageYear = 2025;

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Linjiang).ImportVillageTargetsAsync(request).ResponseAsync);

        Assert.Equal("NO_QUOTA_RULES", RpcErrors.ReasonOf(ex));
    }
}
