using Medins.Identity.V1;
using Medins.IdentityRegistry.Data;
using Medins.IdentityRegistry.Domain;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.IdentityRegistry.Tests;

public sealed class BulkLoadTests : IAsyncLifetime
{
    private const string Linjiang = "cq-linjiang";
    private static readonly DateOnly Today = new(2023, 11, 15);

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

    private async Task<BulkLoadResult> LoadAsync(IReadOnlyList<BulkResident> residents)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ResidentBulkLoader>().LoadAsync(Linjiang, residents, CancellationToken.None);
    }

    private Task<BulkLoadResult> LoadAsync(IEnumerable<SyntheticResident> people) =>
        LoadAsync(people.Select(p => new BulkResident(p.NationalId, p.Name, p.VillageCode, p.HouseholdNumber, p.Relationship,
            p.RegistrationType, p.Phone)).ToList());

    private async Task<List<SyntheticVillage>> LinjiangVillagesAsync()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var villages = await scope.ServiceProvider.GetRequiredService<PlatformDatabase>().InTenantAsync(Linjiang,
            (conn, tx) => DivisionQueries.VillagesWithPopulationAsync(conn, tx, Linjiang, CancellationToken.None), CancellationToken.None);
        return villages.Select(v => new SyntheticVillage(v.Code, v.RegisteredPopulation!.Value)).ToList();
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var cmd = _db.Owner.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task BulkLoad_SyntheticLinjiang_AllOf37694InTheirVillagesWithOneHeadPerBooklet()
    {
        // Seed 002 §6: Linjiang's registered population, 37,694 across its 11 villages and community.
        var villages = await LinjiangVillagesAsync();
        var population = new SyntheticResidents(seed: 2024).Generate(villages, [], 0, Today);

        var result = await LoadAsync(population.Residents);

        Assert.Equal(37_694, villages.Sum(v => v.Population));
        Assert.Equal((37_694, 37_694, 0), (result.Read, result.Inserted, result.Skipped));
        Assert.Empty(result.Rejections);
        Assert.Equal(5027, await CountAsync("SELECT count(*) FROM identity_registry.residents WHERE village_code = '500118901201'"));
        Assert.Equal(result.Households, await CountAsync("SELECT count(DISTINCT household_number) FROM identity_registry.residents"));
        Assert.Equal(result.Households, await CountAsync("SELECT count(*) FROM identity_registry.residents WHERE relationship = 'head'"));
        Assert.Equal(0, await CountAsync("""
            SELECT count(*) FROM identity_registry.households h
            WHERE booklet_member_count NOT BETWEEN 1 AND 6
               OR booklet_member_count <> (SELECT count(*) FROM identity_registry.residents r WHERE r.household_number = h.household_number)
            """));
    }

    [Fact]
    public async Task BulkLoad_RegisteredResidentReadable_EncryptedAtRestAndMaskedByGetResident()
    {
        var nationalId = TestIds.Make("500118", new DateOnly(1966, 1, 2), 11);
        var result = await LoadAsync([new BulkResident(nationalId, "孙九", "500118901201", "HK-1", "head", "household_registered", "13700001111")]);
        Assert.Equal(1, result.Inserted);
        await using var cmd = _db.Owner.CreateCommand("SELECT resident_id::text, national_id_encrypted FROM identity_registry.residents");
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        var residentId = reader.GetString(0);
        var stored = (byte[])reader[1];

        var resident = (await new IdentityRegistryService.IdentityRegistryServiceClient(_host.Channel(Linjiang))
            .GetResidentAsync(new GetResidentRequest { ResidentId = residentId })).Resident;

        Assert.DoesNotContain(nationalId, System.Text.Encoding.UTF8.GetString(stored));
        Assert.Equal(nationalId[..4] + "**********" + nationalId[14..], resident.NationalId);
        Assert.Equal(("137****1111", HouseholdRelationship.Head), (resident.Phone, resident.Relationship));
        Assert.Equal((new Google.Type.Date { Year = 1966, Month = 1, Day = 2 }, Medins.Identity.V1.Sex.Male, "500118901201", "HK-1"),
            (resident.BirthDate, resident.Sex, resident.VillageCode, resident.HouseholdNumber));
        Assert.Equal(_time.GetUtcNow(), resident.CreateTime.ToDateTimeOffset());
    }

    [Fact]
    public async Task BulkLoad_BadRowsAndReload_BadRowsReportedAndRegisteredPeopleSkipped()
    {
        var good = TestIds.Make("500118", new DateOnly(1966, 1, 2), 11);
        var rows = new List<BulkResident>
        {
            new(good, "孙九", "500118901201", "HK-9", "head", "household_registered", null),
            new(TestIds.WithWrongCheck(TestIds.Make("500118", new DateOnly(1966, 1, 2), 13)), "错号", "500118901201", null, null, "household_registered", null),
            new(TestIds.Make("500118", new DateOnly(1966, 1, 2), 15), "外村", "130628902201", null, null, "household_registered", null),
        };

        var first = await LoadAsync(rows);
        var again = await LoadAsync(rows);

        Assert.Equal([new BulkRejection(2, "INVALID_NATIONAL_ID"), new BulkRejection(3, "UNKNOWN_VILLAGE")], first.Rejections);
        Assert.Equal((1, 0), (first.Inserted, first.Skipped));
        Assert.Equal((0, 1), (again.Inserted, again.Skipped));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM identity_registry.residents"));
        Assert.Equal((1, 1), (first.Households, again.Households)); // the reload refreshes the booklet it recorded
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM identity_registry.households WHERE household_number = 'HK-9' AND booklet_member_count = 1"));
    }

    [Fact]
    public async Task BulkLoad_SamePersonTwiceAndSecondHeadInNewTenant_FirstKeptOthersSkipped()
    {
        var wang = TestIds.Make("500118", new DateOnly(1966, 1, 2), 11);
        var li = TestIds.Make("500118", new DateOnly(1968, 3, 4), 12);
        var zhao = TestIds.Make("500118", new DateOnly(1990, 5, 6), 13);
        BulkResident[] rows =
        [
            new(wang, "王一", "500118901201", "HK-1", "head", "household_registered", null),
            new(li, "李二", "500118901201", "HK-1", "head", "household_registered", null),   // second head of HK-1
            new(wang, "王一", "500118901201", "HK-1", "head", "household_registered", null), // listed twice
            new(zhao, "赵三", "500118901201", "HK-1", "child", "household_registered", null),
        ];

        var result = await LoadAsync(rows);

        Assert.Equal((4, 2, 2), (result.Read, result.Inserted, result.Skipped));
        Assert.Empty(result.Rejections);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM identity_registry.residents WHERE relationship = 'head' AND name = '王一'"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM identity_registry.residents WHERE name = '李二'"));
    }

    [Fact]
    public async Task BulkLoad_NewTenant_ResidentIdsRiseInRowOrderAsVersion7()
    {
        var villages = await LinjiangVillagesAsync();
        var population = new SyntheticResidents(seed: 5).Generate(villages.Select(v => v with { Population = 300 }).ToList(), [], 0, Today);

        await LoadAsync(population.Residents);

        // Rising ids append to the primary key and village index instead of splitting random pages.
        await using var cmd = _db.Owner.CreateCommand("SELECT resident_id, name FROM identity_registry.residents ORDER BY resident_id");
        await using var reader = await cmd.ExecuteReaderAsync();
        var names = new List<string>();
        while (await reader.ReadAsync())
        {
            Assert.Equal(7, reader.GetGuid(0).Version);
            names.Add(reader.GetString(1));
        }
        Assert.Equal(population.Residents.Select(r => r.Name), names);
    }

    [Fact]
    public async Task BulkLoad_RegistrationCommitsWhileLoadingNewTenant_LoadRunsAgainAndSkipsHer()
    {
        var villages = await LinjiangVillagesAsync();
        var population = new SyntheticResidents(seed: 9).Generate(villages.Select(v => v with { Population = 100 }).ToList(), [], 0, Today);
        var racer = population.Residents[^1];
        await using var scope = _host.Services.CreateAsyncScope();
        var protector = scope.ServiceProvider.GetRequiredService<IdentityProtector>();
        NationalId.TryParse(racer.NationalId, Today, out var racerId);

        // A registration of the file's last person, not yet committed when the load finds the tenant empty.
        await using var registration = await _db.Owner.OpenConnectionAsync();
        await using var tx = await registration.BeginTransactionAsync();
        await using (var path = new Npgsql.NpgsqlCommand("SET LOCAL search_path = identity_registry", registration, tx))
            await path.ExecuteNonQueryAsync();
        var registered = Guid.CreateVersion7();
        Assert.True(await ResidentQueries.TryInsertAsync(registration, tx, new ResidentRow(Linjiang, registered,
            protector.Encrypt(racerId.Value, $"{Linjiang}/{registered}/national_id"), protector.LookupHash(racerId), racerId.BirthDate,
            racerId.Sex, racer.Name, racer.VillageCode, null, "household_registered", null, _time.GetUtcNow()), CancellationToken.None));
        var load = LoadAsync(population.Residents);
        // The load's insert now waits on her uncommitted key; commit, and it fails on the unique index.
        while (await CountAsync("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO residents%'") == 0)
        {
            Assert.False(load.IsCompleted, "the load finished without meeting the registration");
            await Task.Delay(50);
        }
        await tx.CommitAsync();

        var result = await load;

        Assert.Equal((population.Residents.Count - 1, 1), (result.Inserted, result.Skipped));
        Assert.Equal(population.Residents.Count, await CountAsync("SELECT count(*) FROM identity_registry.residents"));
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM identity_registry.residents WHERE resident_id = '{registered}'"));
    }

    [Fact]
    public async Task Residents_UnknownVillageOrNamedVillageDeleted_RefusedAsForeignKeyViolations()
    {
        await LoadAsync([new BulkResident(TestIds.Make("500118", new DateOnly(1966, 1, 2), 11), "孙九", "500118901201", "HK-1", "head",
            "household_registered", null)]);
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDatabase>();

        var unknownVillage = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => db.InTenantAsync(Linjiang, async (conn, tx) =>
        {
            await using var cmd = new Npgsql.NpgsqlCommand("UPDATE residents SET village_code = '500118901299'", conn, tx);
            return await cmd.ExecuteNonQueryAsync();
        }, CancellationToken.None));
        await using var delete = _db.Owner.CreateCommand("DELETE FROM identity_registry.divisions WHERE code = '500118901201'");
        var namedVillage = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => delete.ExecuteNonQueryAsync());
        await using var deleteEmpty = _db.Owner.CreateCommand("DELETE FROM identity_registry.divisions WHERE code = '500118901207'");

        Assert.Equal((Npgsql.PostgresErrorCodes.ForeignKeyViolation, "residents_village_exists"), (unknownVillage.SqlState, unknownVillage.ConstraintName));
        Assert.Equal((Npgsql.PostgresErrorCodes.ForeignKeyViolation, "divisions_named_by_residents"), (namedVillage.SqlState, namedVillage.ConstraintName));
        Assert.Equal(1, await deleteEmpty.ExecuteNonQueryAsync()); // a village nobody names may go
    }

    [Fact]
    public void SyntheticResidents_SameSeed_SamePeopleWithValidUniqueNumbersAndIdentityMix()
    {
        SyntheticVillage[] villages = [new("500118901201", 3000), new("500118901207", 2000)];
        string[] vocabulary = ["2304", "993406"]; // local codes of tekun and stable-out-of-poverty

        var first = new SyntheticResidents(7).Generate(villages, vocabulary, 0.1, Today);
        var second = new SyntheticResidents(7).Generate(villages, vocabulary, 0.1, Today);

        Assert.Equal(first.Residents, second.Residents);
        Assert.Equal(5000, first.Residents.Count);
        Assert.Equal(5000, first.Residents.Select(r => r.NationalId).Distinct().Count());
        Assert.All(first.Residents, r => Assert.Equal(NationalIdError.None, NationalId.TryParse(r.NationalId, Today, out _)));
        Assert.InRange(first.Identities.Count, 400, 600);
        Assert.Contains(first.Residents, r => NationalId.TryParse(r.NationalId, Today, out var id) == NationalIdError.None && id.BirthDate > Today.AddYears(-18));
        Assert.Contains(first.Residents, r => NationalId.TryParse(r.NationalId, Today, out var id) == NationalIdError.None && id.BirthDate < Today.AddYears(-60));
        Assert.All(first.Residents.GroupBy(r => r.HouseholdNumber), h => Assert.Single(h, r => r.Relationship == "head"));
    }
}
