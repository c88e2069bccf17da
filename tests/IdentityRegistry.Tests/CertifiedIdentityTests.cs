using Google.Rpc;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.IdentityRegistry.Tests;

public sealed class CertifiedIdentityTests : IAsyncLifetime
{
    // Demo city: Dongpo district's demo village (identity_registry.sql) and its Meishan vocabulary (seed 003 §三(二)).
    private const string Dongpo = "sc-meishan-dongpo";
    private const string DongpoVillage = "511402901201";

    private static readonly Google.Type.Date CampaignStart = new() { Year = 2023, Month = 9, Day = 1 };
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2023, 11, 15, 2, 0, 0, TimeSpan.Zero));
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = new ServiceHost<Program>(_db, "identity-registry", services: s => s.AddSingleton<TimeProvider>(_time));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private IdentityRegistryService.IdentityRegistryServiceClient Client(string tenant) => new(_host.Channel(tenant));

    private static string Id(int sequence) => TestIds.Make("511402", new DateOnly(1961, 3, 8), sequence);

    private async Task<string> RegisterAsync(string nationalId, string tenant = Dongpo, string village = DongpoVillage) =>
        (await Client(tenant).RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = Guid.NewGuid().ToString(), NationalId = nationalId, Name = "王五", VillageCode = village,
        })).Resident.ResidentId;

    private static IdentityImportRow Row(string nationalId, string localCode, CertifyingDepartment department,
        Google.Type.Date? validFrom = null, Google.Type.Date? validTo = null) => new()
    {
        NationalId = nationalId, LocalCode = localCode, Department = department, ValidFrom = validFrom ?? CampaignStart, ValidTo = validTo,
    };

    /// <summary>Streams the rows in messages of <paramref name="chunk"/> rows, as a department client would.</summary>
    private async Task<ImportIdentitiesResponse> ImportAsync(string tenant, string requestId, IReadOnlyList<IdentityImportRow> rows, int chunk = 3)
    {
        using var call = Client(tenant).ImportIdentities();
        for (var i = 0; i < Math.Max(rows.Count, 1); i += chunk)
        {
            var message = new ImportIdentitiesRequest();
            if (i == 0)
            {
                message.RequestId = requestId;
                message.Source = "民政局 2023年特困人员名单";
            }
            message.Rows.AddRange(rows.Skip(i).Take(chunk));
            await call.RequestStream.WriteAsync(message);
        }
        await call.RequestStream.CompleteAsync();
        return await call;
    }

    private async Task<Resident> GetAsync(string residentId, string tenant = Dongpo) =>
        (await Client(tenant).GetResidentAsync(new GetResidentRequest { ResidentId = residentId })).Resident;

    private async Task<long> CountAsync(string sql, params object[] args)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        foreach (var arg in args) cmd.Parameters.Add(new() { Value = arg });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task ImportIdentities_DepartmentListWithBadRows_GoodRowsLandAndBadRowsReportedByRowNumber()
    {
        var tekun = await RegisterAsync(Id(101));
        var stable = await RegisterAsync(Id(103));
        var other = await RegisterAsync(Id(105));
        var rows = new[]
        {
            Row(Id(101), "2304", CertifyingDepartment.CivilAffairs),                         // 1: 特困, good
            Row(TestIds.WithWrongCheck(Id(107)), "2304", CertifyingDepartment.CivilAffairs), // 2: bad check character
            Row(Id(109), "2304", CertifyingDepartment.CivilAffairs),                         // 3: valid number, not registered
            Row(Id(105), "9999", CertifyingDepartment.CivilAffairs),                         // 4: not in Meishan's vocabulary
            Row(Id(103), "993406", CertifyingDepartment.RuralRevitalisation),                // 5: 已稳定脱贫, good
            Row(Id(105), "2304", CertifyingDepartment.Health),                               // 6: 特困 is certified by 民政
            Row(Id(105), "2303", CertifyingDepartment.CivilAffairs, CampaignStart,
                new Google.Type.Date { Year = 2023, Month = 1, Day = 1 }),                   // 7: ends before it starts
            Row(Id(105), "", CertifyingDepartment.CivilAffairs),                             // 8: neither code nor category
            Row(Id(105), "2303", CertifyingDepartment.Unspecified),                          // 9: no department
        };

        var result = await ImportAsync(Dongpo, "import-1", rows);

        Assert.Equal(2, result.CertifiedCount);
        Assert.Equal(7, result.RejectedCount);
        Assert.Equal(Enumerable.Range(1, 9), result.Results.Select(r => r.RowNumber));
        Assert.Equal(
            ["", "INVALID_NATIONAL_ID", "RESIDENT_NOT_FOUND", "UNKNOWN_CODE", "", "DEPARTMENT_MISMATCH", "INVALID_VALIDITY", "MISSING_CODE", "MISSING_DEPARTMENT"],
            result.Results.Select(r => r.Reason));
        Assert.All(result.Results.Where(r => r.Reason.Length > 0), r => Assert.Equal(ImportRowOutcome.Rejected, r.Outcome));
        Assert.DoesNotContain(result.Results, r => r.Description.Contains(Id(109)[6..14]));
        Assert.Equal(2, await CountAsync(
            "SELECT count(*) FROM identity_registry.certified_identities WHERE tenant_id = $1 AND batch_id = $2::uuid AND revoked_at IS NULL",
            Dongpo, result.BatchId));
        Assert.Equal(1, await CountAsync(
            "SELECT count(*) FROM identity_registry.identity_import_batches WHERE batch_id = $1::uuid AND certified_count = 2 AND rejected_count = 7",
            result.BatchId));
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM identity_registry.outbox WHERE topic = 'identity.certified' AND tenant_id = $1", Dongpo));
        Assert.Equal("tekun", Assert.Single((await GetAsync(tekun)).CertifiedIdentities).Category);
        Assert.Equal("stable-out-of-poverty", Assert.Single((await GetAsync(stable)).CertifiedIdentities).Category);
        Assert.Empty((await GetAsync(other)).CertifiedIdentities);
    }

    [Fact]
    public async Task ImportIdentities_ReplaySameRequestId_SameBatchAndNoSecondRows()
    {
        await RegisterAsync(Id(101));
        var rows = new[] { Row(Id(101), "2304", CertifyingDepartment.CivilAffairs) };

        var first = await ImportAsync(Dongpo, "import-1", rows);
        var replay = await ImportAsync(Dongpo, "import-1", rows);

        Assert.Equal(first.BatchId, replay.BatchId);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM identity_registry.certified_identities"));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM identity_registry.identity_import_batches"));
    }

    [Fact]
    public async Task ImportIdentities_ReplayWithOtherRows_FailedPreconditionRequestIdReused()
    {
        await RegisterAsync(Id(101));
        await ImportAsync(Dongpo, "import-1", [Row(Id(101), "2304", CertifyingDepartment.CivilAffairs)]);

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            ImportAsync(Dongpo, "import-1", [Row(Id(101), "2361", CertifyingDepartment.CivilAffairs)]));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("REQUEST_ID_REUSED", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task ImportIdentities_SameIdentityNewValidity_OldRevokedKeptAsHistoryAndEventsWritten()
    {
        var resident = await RegisterAsync(Id(101));
        var first = await ImportAsync(Dongpo, "import-1", [Row(Id(101), "2303", CertifyingDepartment.CivilAffairs)]);

        var second = await ImportAsync(Dongpo, "import-2",
            [Row(Id(101), "2303", CertifyingDepartment.CivilAffairs, validTo: new Google.Type.Date { Year = 2024, Month = 12, Day = 31 })]);

        Assert.Equal(ImportRowOutcome.Certified, second.Results[0].Outcome);
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM identity_registry.certified_identities WHERE resident_id = $1::uuid", resident));
        Assert.Equal(1, await CountAsync("""
            SELECT count(*) FROM identity_registry.certified_identities
            WHERE identity_id = $1::uuid AND revoked_at IS NOT NULL AND revoke_reason LIKE 'replaced by import batch %'
            """, first.Results[0].IdentityId));
        Assert.Equal(1, await CountAsync(
            "SELECT count(*) FROM identity_registry.outbox WHERE topic = 'identity.revoked' AND payload->>'identityId' = $1",
            first.Results[0].IdentityId));
        var current = Assert.Single((await GetAsync(resident)).CertifiedIdentities);
        Assert.Equal(second.Results[0].IdentityId, current.IdentityId);
        Assert.Equal(2024, current.ValidTo.Year);
    }

    [Fact]
    public async Task ImportIdentities_SameRowAgainInNewList_UnchangedAndNoEvent()
    {
        await RegisterAsync(Id(101));
        var first = await ImportAsync(Dongpo, "import-1", [Row(Id(101), "2304", CertifyingDepartment.CivilAffairs)]);

        var again = await ImportAsync(Dongpo, "import-2", [Row(Id(101), "2304", CertifyingDepartment.CivilAffairs)]);

        Assert.Equal(ImportRowOutcome.Unchanged, again.Results[0].Outcome);
        Assert.Equal(first.Results[0].IdentityId, again.Results[0].IdentityId);
        Assert.Equal(1, again.UnchangedCount);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM identity_registry.outbox WHERE topic = 'identity.certified'"));
    }

    [Fact]
    public async Task ImportIdentities_SamePersonTwiceInOneList_SecondRowDuplicate()
    {
        await RegisterAsync(Id(101));

        var result = await ImportAsync(Dongpo, "import-1",
            [Row(Id(101), "2304", CertifyingDepartment.CivilAffairs), Row(Id(101), "2304", CertifyingDepartment.CivilAffairs)]);

        Assert.Equal(ImportRowOutcome.Certified, result.Results[0].Outcome);
        Assert.Equal("DUPLICATE_ROW", result.Results[1].Reason);
    }

    [Fact]
    public async Task GetResident_MeishanImportOrder_LaterStepStandsAndSameStepBothStand()
    {
        // Seed 003 §三(二) 导盘顺序: 稳定脱贫 993406 → … → 低保 2303, 低收入 2305 → … → 特困 2304; a later import
        // overrides an earlier one. 低保 and 低收入 share a step, so both stand over 993406.
        var dibao = await RegisterAsync(Id(101));
        var tekun = await RegisterAsync(Id(103));
        await ImportAsync(Dongpo, "import-1",
        [
            Row(Id(101), "993406", CertifyingDepartment.RuralRevitalisation),
            Row(Id(101), "2303", CertifyingDepartment.CivilAffairs),
            Row(Id(101), "2305", CertifyingDepartment.CivilAffairs),
            Row(Id(103), "2304", CertifyingDepartment.CivilAffairs),
            Row(Id(103), "236046", CertifyingDepartment.DisabledPersonsFederation),
        ]);

        var dibaoIdentities = (await GetAsync(dibao)).CertifiedIdentities.ToDictionary(i => i.LocalCode);
        var tekunIdentities = (await GetAsync(tekun)).CertifiedIdentities.ToDictionary(i => i.LocalCode);

        Assert.False(dibaoIdentities["993406"].Prevailing);
        Assert.True(dibaoIdentities["2303"].Prevailing);
        Assert.True(dibaoIdentities["2305"].Prevailing);
        Assert.Equal(3, dibaoIdentities["2303"].ImportStep);
        Assert.True(tekunIdentities["2304"].Prevailing);
        Assert.False(tekunIdentities["236046"].Prevailing);
        Assert.Equal(CertifyingDepartment.DisabledPersonsFederation, tekunIdentities["236046"].Department);
    }

    [Fact]
    public async Task ListResidents_PageOfCertifiedAndPlainResidents_EachWithTheIdentitiesGetResidentGives()
    {
        // Seed 003 §三(二): 低保 2303 stands over 稳定脱贫 993406; an expired 特困 2304 is not current.
        var dibao = await RegisterAsync(Id(101));
        var tekun = await RegisterAsync(Id(103));
        var plain = await RegisterAsync(Id(105));
        await ImportAsync(Dongpo, "import-1",
        [
            Row(Id(101), "993406", CertifyingDepartment.RuralRevitalisation),
            Row(Id(101), "2303", CertifyingDepartment.CivilAffairs),
            Row(Id(103), "2304", CertifyingDepartment.CivilAffairs),
            Row(Id(105), "2304", CertifyingDepartment.CivilAffairs, new() { Year = 2022, Month = 1, Day = 1 }, new() { Year = 2022, Month = 12, Day = 31 }),
        ]);

        var listed = (await Client(Dongpo).ListResidentsAsync(new ListResidentsRequest { VillageCode = DongpoVillage })).Residents
            .ToDictionary(r => r.ResidentId);

        Assert.Equal(new[] { dibao, tekun, plain }.Order(), listed.Keys.Order());
        foreach (var id in new[] { dibao, tekun, plain })
            Assert.Equal((await GetAsync(id)).CertifiedIdentities, listed[id].CertifiedIdentities);
        Assert.Equal(["993406", "2303"], listed[dibao].CertifiedIdentities.Select(i => i.LocalCode));
        Assert.Equal([false, true], listed[dibao].CertifiedIdentities.Select(i => i.Prevailing));
        Assert.Equal("tekun", Assert.Single(listed[tekun].CertifiedIdentities).Category);
        Assert.Empty(listed[plain].CertifiedIdentities);
    }

    [Fact]
    public async Task GetResident_ExpiredAndFutureIdentities_NotCurrent()
    {
        var resident = await RegisterAsync(Id(101));
        await ImportAsync(Dongpo, "import-1",
        [
            Row(Id(101), "2304", CertifyingDepartment.CivilAffairs, new() { Year = 2022, Month = 1, Day = 1 }, new() { Year = 2022, Month = 12, Day = 31 }),
            Row(Id(101), "2361", CertifyingDepartment.CivilAffairs, new() { Year = 2024, Month = 1, Day = 1 }),
            Row(Id(101), "2303", CertifyingDepartment.CivilAffairs, new() { Year = 2023, Month = 11, Day = 15 }),
        ]);

        var current = Assert.Single((await GetAsync(resident)).CertifiedIdentities);

        Assert.Equal("2303", current.LocalCode);
        Assert.True(current.Prevailing); // the future 孤儿 (step 8) does not stand yet
    }

    [Fact]
    public async Task ImportIdentities_TenantWithoutVocabulary_UnknownCode()
    {
        // Linjiang's demo data has no local identity codes: Meishan's codes mean nothing there.
        await RegisterAsync(TestIds.Make("500118", new DateOnly(1961, 3, 8), 101), "cq-linjiang", "500118901201");

        var result = await ImportAsync("cq-linjiang", "import-1",
            [Row(TestIds.Make("500118", new DateOnly(1961, 3, 8), 101), "2304", CertifyingDepartment.CivilAffairs)]);

        Assert.Equal("UNKNOWN_CODE", Assert.Single(result.Results).Reason);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM identity_registry.certified_identities"));
    }

    [Fact]
    public async Task ImportIdentities_CategoryWithoutLocalCode_CertifiedWithItsImportStep()
    {
        var resident = await RegisterAsync(Id(101));

        var result = await ImportAsync(Dongpo, "import-1",
            [new IdentityImportRow { NationalId = Id(101), Category = "tekun", Department = CertifyingDepartment.CivilAffairs, ValidFrom = CampaignStart }]);

        Assert.Equal(ImportRowOutcome.Certified, result.Results[0].Outcome);
        var identity = Assert.Single((await GetAsync(resident)).CertifiedIdentities);
        Assert.Equal(("tekun", "", 9), (identity.Category, identity.LocalCode, identity.ImportStep));
    }

    [Fact]
    public async Task ImportIdentities_NoRows_InvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => ImportAsync(Dongpo, "import-1", []));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations, v => v.Field == "rows");
    }

    [Fact]
    public async Task ImportIdentitiesCsv_DepartmentCsvWithBadRows_GoodRowsLandAndRowsNumberedFromOne()
    {
        var good = await RegisterAsync(Id(101));
        await RegisterAsync(Id(103));
        var csv = $"""
            national_id,local_code,department,valid_from,valid_to
            {Id(101)},2304,民政,2023-09-01,
            {Id(103)},2304,民政,2023-13-01,
            {TestIds.WithWrongCheck(Id(105))},2304,民政,2023-09-01,
            {Id(103)},"236046",残联,2023/9/1,2024-12-31
            {Id(103)},236046,残联,2023-09-01
            {Id(103)},236046,林业,2023-09-01,
            """;

        var result = (await Client(Dongpo).ImportIdentitiesCsvAsync(new ImportIdentitiesCsvRequest
        {
            RequestId = "csv-1", Source = "dept.csv", CsvText = csv,
        })).Result;

        Assert.Equal(["", "MALFORMED_ROW", "INVALID_NATIONAL_ID", "", "MALFORMED_ROW", "MALFORMED_ROW"], result.Results.Select(r => r.Reason));
        Assert.Equal(Enumerable.Range(1, 6), result.Results.Select(r => r.RowNumber));
        Assert.Equal(2, result.CertifiedCount);
        Assert.Equal("tekun", Assert.Single((await GetAsync(good)).CertifiedIdentities).Category);
        Assert.Equal(1, await CountAsync(
            "SELECT count(*) FROM identity_registry.certified_identities WHERE local_code = '236046' AND valid_to = '2024-12-31'"));
    }

    [Fact]
    public async Task ImportIdentitiesCsv_HeaderWithoutDepartment_InvalidCsvHeader()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client(Dongpo).ImportIdentitiesCsvAsync(new ImportIdentitiesCsvRequest
        {
            RequestId = "csv-1", CsvText = $"national_id,local_code,valid_from\n{Id(101)},2304,2023-09-01\n",
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("INVALID_CSV_HEADER", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public async Task RevokeIdentity_CurrentIdentity_GoneFromResidentKeptAsHistoryWithEvent()
    {
        var resident = await RegisterAsync(Id(101));
        var imported = await ImportAsync(Dongpo, "import-1", [Row(Id(101), "2304", CertifyingDepartment.CivilAffairs)]);
        var identityId = imported.Results[0].IdentityId;

        var revoked = (await Client(Dongpo).RevokeIdentityAsync(new RevokeIdentityRequest
        {
            RequestId = "revoke-1", IdentityId = identityId, Reason = "民政局复核取消",
        })).Identity;

        Assert.Equal("民政局复核取消", revoked.RevokeReason);
        Assert.Equal(_time.GetUtcNow(), revoked.RevokeTime.ToDateTimeOffset());
        Assert.Empty((await GetAsync(resident)).CertifiedIdentities);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM identity_registry.certified_identities WHERE revoked_at IS NOT NULL"));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM identity_registry.outbox WHERE topic = 'identity.revoked'"));
    }

    [Fact]
    public async Task RevokeIdentity_AlreadyRevokedByAnotherRequest_FailedPreconditionAlreadyRevoked()
    {
        await RegisterAsync(Id(101));
        var imported = await ImportAsync(Dongpo, "import-1", [Row(Id(101), "2304", CertifyingDepartment.CivilAffairs)]);
        var request = new RevokeIdentityRequest { RequestId = "revoke-1", IdentityId = imported.Results[0].IdentityId, Reason = "复核取消" };
        await Client(Dongpo).RevokeIdentityAsync(request);
        await Client(Dongpo).RevokeIdentityAsync(request); // a replay answers as before

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client(Dongpo).RevokeIdentityAsync(new RevokeIdentityRequest { RequestId = "revoke-2", IdentityId = request.IdentityId, Reason = "again" }).ResponseAsync);

        Assert.Equal("IDENTITY_ALREADY_REVOKED", RpcErrors.ReasonOf(ex));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM identity_registry.outbox WHERE topic = 'identity.revoked'"));
    }

    [Fact]
    public async Task RevokeIdentity_IdentityOfAnotherTenant_NotFound()
    {
        await RegisterAsync(Id(101));
        var imported = await ImportAsync(Dongpo, "import-1", [Row(Id(101), "2304", CertifyingDepartment.CivilAffairs)]);

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client("sc-meishan-pengshan").RevokeIdentityAsync(
            new RevokeIdentityRequest { RequestId = "revoke-1", IdentityId = imported.Results[0].IdentityId, Reason = "x" }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("IDENTITY_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }
}
