using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Medins.IdentityRegistry.Data;
using Medins.IdentityRegistry.Domain;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Testing;
using Npgsql;

// Usage:
//   generate --tenant cq-linjiang --out DIR [--count N] [--seed 1] [--identity-share 0.08] [--connection CS]
//       Writes DIR/residents.csv and DIR/identities.csv (a department list for ImportIdentitiesCsv). Villages, their
//       registered populations (the weights) and the identity vocabulary come from the database; without
//       --connection a private database with the demo city is started for the purpose.
//   import --tenant T --file DIR/residents.csv --connection CS
//       Bulk-loads the file with the service's loader (binary COPY). CS is the service role's connection string; the
//       keys come from the environment exactly as for the service (IdentityRegistry__IdEncryptionKey, __IdLookupKey).
//   bench [--residents 1000000] [--tenant cq-linjiang] [--pages 200]
//       On a private database: generates and loads the residents (import rate), enrols most of them, then times
//       ledger pages (p50/p99). Keys are random: the data is thrown away.
var command = args.FirstOrDefault() ?? "";
var options = ParseOptions(args.Skip(1).ToArray());
try
{
    switch (command)
    {
        case "generate": await GenerateAsync(options); break;
        case "import": await ImportAsync(options); break;
        case "bench": await BenchAsync(options); break;
        default:
            Console.Error.WriteLine("Commands: generate, import, bench (see the comment at the top of Program.cs).");
            return 2;
    }
    return 0;
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

static Dictionary<string, string> ParseOptions(string[] args)
{
    var options = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Expected an option, got '{args[i]}'.");
        options[args[i][2..]] = args[i + 1];
    }
    return options;
}

static string Required(Dictionary<string, string> options, string name) =>
    options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required.");

static DateOnly Today() => DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8));

static async Task<(List<SyntheticVillage> Villages, List<IdentityCode> Vocabulary)> ReadTenantAsync(NpgsqlDataSource dataSource,
    string tenantId, int? count)
{
    var db = new PlatformDatabase(dataSource, TimeProvider.System);
    var (villages, vocabulary) = await db.InTenantAsync(tenantId, async (conn, tx) =>
        (await DivisionQueries.VillagesWithPopulationAsync(conn, tx, tenantId, default),
         (await IdentityQueries.VocabularyAsync(conn, tx, tenantId, default)).Values.OrderBy(c => c.LocalCode, StringComparer.Ordinal).ToList()),
        default);
    if (villages.Count == 0) throw new ArgumentException($"Tenant {tenantId} has no villages.");
    // Without a count, each village's registered population; with one, that count spread by the same weights.
    var weights = villages.Select(v => (double)(v.RegisteredPopulation ?? 1000)).ToList();
    var total = count ?? (int)weights.Sum();
    var populations = weights.Select(w => (int)Math.Floor(total * w / weights.Sum())).ToList();
    populations[0] += total - populations.Sum();
    return (villages.Select((v, i) => new SyntheticVillage(v.Code, populations[i])).ToList(), vocabulary);
}

static async Task GenerateAsync(Dictionary<string, string> options)
{
    var tenantId = Required(options, "tenant");
    var outDir = Required(options, "out");
    int? count = options.TryGetValue("count", out var c) ? int.Parse(c, CultureInfo.InvariantCulture) : null;
    var seed = options.TryGetValue("seed", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : 1;
    var share = options.TryGetValue("identity-share", out var sh) ? double.Parse(sh, CultureInfo.InvariantCulture) : 0.08;

    TestDatabase? own = null;
    NpgsqlDataSource dataSource;
    if (options.TryGetValue("connection", out var connection)) dataSource = NpgsqlDataSource.Create(connection);
    else
    {
        own = await TestDatabase.CreateAsync();
        dataSource = own.DataSourceFor("identity-registry");
    }
    try
    {
        var (villages, vocabulary) = await ReadTenantAsync(dataSource, tenantId, count);
        var population = new SyntheticResidents(seed).Generate(villages, [.. vocabulary.Select(v => v.LocalCode)], share, Today());
        var departments = vocabulary.ToDictionary(v => v.LocalCode, v => v.Department);
        Directory.CreateDirectory(outDir);
        await using (var residents = new StreamWriter(Path.Combine(outDir, "residents.csv"), false, new UTF8Encoding(false)))
        {
            await residents.WriteLineAsync("national_id,name,village_code,household_number,relationship,registration_type,phone");
            foreach (var r in population.Residents)
                await residents.WriteLineAsync($"{r.NationalId},{r.Name},{r.VillageCode},{r.HouseholdNumber},{r.Relationship},{r.RegistrationType},{r.Phone}");
        }
        var validFrom = new DateOnly(Today().Year, 1, 1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await using (var identities = new StreamWriter(Path.Combine(outDir, "identities.csv"), false, new UTF8Encoding(false)))
        {
            await identities.WriteLineAsync("national_id,local_code,department,valid_from");
            foreach (var i in population.Identities)
                await identities.WriteLineAsync($"{i.NationalId},{i.LocalCode},{Departments.Code(departments[i.LocalCode])},{validFrom}");
        }
        Console.WriteLine($"{population.Residents.Count} residents in {villages.Count} villages, " +
            $"{population.Residents.Select(r => r.HouseholdNumber).Distinct().Count()} households, {population.Identities.Count} identities");
    }
    finally
    {
        await dataSource.DisposeAsync();
        if (own is not null) await own.DisposeAsync();
    }
}

static async Task ImportAsync(Dictionary<string, string> options)
{
    var tenantId = Required(options, "tenant");
    var file = Required(options, "file");
    var protector = IdentityProtector.Create(new IdentityProtectionOptions
    {
        IdEncryptionKey = Environment.GetEnvironmentVariable("IdentityRegistry__IdEncryptionKey"),
        IdLookupKey = Environment.GetEnvironmentVariable("IdentityRegistry__IdLookupKey"),
    });
    var rows = new List<BulkResident>();
    foreach (var line in (await File.ReadAllLinesAsync(file)).Skip(1))
    {
        if (line.Length == 0) continue;
        var f = line.Split(',');
        if (f.Length != 7) throw new ArgumentException($"Line {rows.Count + 2} has {f.Length} fields, expected 7 (no quoting is supported).");
        rows.Add(new BulkResident(f[0], f[1], f[2], Empty(f[3]), Empty(f[4]), f[5], Empty(f[6])));
    }
    await using var dataSource = NpgsqlDataSource.Create(Required(options, "connection"));
    var loader = new ResidentBulkLoader(new PlatformDatabase(dataSource, TimeProvider.System), protector, TimeProvider.System);
    var watch = Stopwatch.StartNew();
    var result = await loader.LoadAsync(tenantId, rows, default);
    Console.WriteLine($"{result.Inserted} inserted, {result.Skipped} already registered, {result.Rejections.Count} rejected, " +
        $"{result.Households} households in {watch.Elapsed.TotalSeconds:F1} s ({result.Inserted / watch.Elapsed.TotalSeconds:F0}/s)");
    foreach (var rejection in result.Rejections.Take(20)) Console.WriteLine($"  row {rejection.RowNumber}: {rejection.Reason}");

    static string? Empty(string text) => text.Length == 0 ? null : text;
}

static async Task BenchAsync(Dictionary<string, string> options)
{
    var tenantId = options.GetValueOrDefault("tenant", "cq-linjiang");
    var count = int.Parse(options.GetValueOrDefault("residents", "1000000"), CultureInfo.InvariantCulture);
    var pages = int.Parse(options.GetValueOrDefault("pages", "200"), CultureInfo.InvariantCulture);
    await using var database = await TestDatabase.CreateAsync();
    await using var dataSource = database.DataSourceFor("identity-registry");
    var db = new PlatformDatabase(dataSource, TimeProvider.System);
    var protector = IdentityProtector.Create(new IdentityProtectionOptions
    {
        IdEncryptionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        IdLookupKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
    });

    var (villages, vocabulary) = await ReadTenantAsync(dataSource, tenantId, count);
    var watch = Stopwatch.StartNew();
    var population = new SyntheticResidents(1).Generate(villages, [.. vocabulary.Select(v => v.LocalCode)], 0.08, Today());
    Console.WriteLine($"generated {population.Residents.Count} residents in {watch.Elapsed.TotalSeconds:F1} s");
    List<BulkResident> bulkRows = [.. population.Residents.Select(r => new BulkResident(r.NationalId, r.Name, r.VillageCode, r.HouseholdNumber,
        r.Relationship, r.RegistrationType, r.Phone))];

    watch.Restart();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var result = await new ResidentBulkLoader(db, protector, TimeProvider.System).LoadAsync(tenantId, bulkRows, default);
    var seconds = watch.Elapsed.TotalSeconds;
    // The loader's own CPU (validation, sealing, COPY) next to the wall time: on a shared machine the two part ways.
    Console.WriteLine($"import: {result.Inserted} residents, {result.Households} households in {seconds:F1} s = {result.Inserted / seconds:F0} residents/s " +
        $"(loader CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s)");

    // Arrange a campaign as owner: 93% enrolled last year, 85% this year, and 5% holding a special identity.
    watch.Restart();
    await using (var arrange = database.Owner.CreateCommand($"""
        SET search_path = identity_registry;
        INSERT INTO enrolments (tenant_id, resident_id, coverage_year, status, updated_at)
          SELECT tenant_id, resident_id, y.year, 'enrolled', now() FROM residents, (VALUES (2023, 93), (2024, 85)) AS y (year, share)
          WHERE abs(hashtext(resident_id::text || y.year)) % 100 < y.share;
        INSERT INTO identity_import_batches VALUES ('{tenantId}', gen_random_uuid(), 'bench', 0, 0, 0, now());
        INSERT INTO certified_identities (tenant_id, identity_id, resident_id, village_code, category, department, valid_from, certified_at)
          SELECT tenant_id, gen_random_uuid(), resident_id, village_code, 'tekun', 'civil_affairs', '2023-01-01', now() FROM residents
          WHERE abs(hashtext(resident_id::text)) % 100 < 5;
        ANALYZE residents; ANALYZE enrolments; ANALYZE certified_identities;
        """))
    {
        arrange.CommandTimeout = 0;
        await arrange.ExecuteNonQueryAsync();
    }
    Console.WriteLine($"arranged enrolments and identities in {watch.Elapsed.TotalSeconds:F1} s");

    var today = Today();
    var busiest = villages.OrderByDescending(v => v.Population).First().Code;
    foreach (var ledger in Enum.GetValues<LedgerKind>())
        foreach (var village in new[] { "", busiest })
        {
            var latencies = new List<double>();
            var (afterVillage, afterId) = ("", Guid.Empty);
            for (var page = 0; page < pages; page++)
            {
                var pageWatch = Stopwatch.StartNew();
                var rows = await db.InTenantAsync(tenantId, (conn, tx) =>
                    LedgerQueries.PageAsync(conn, tx, tenantId, ledger, 2024, village, afterVillage, afterId, today, 51, default), default);
                // What the RPC adds on top of the query: opening and masking each ID number.
                foreach (var row in rows.Take(50))
                    NationalId.MaskText(protector.Decrypt(row.Resident.NationalIdEncrypted, $"{tenantId}/{row.Resident.ResidentId}/national_id"));
                latencies.Add(pageWatch.Elapsed.TotalMilliseconds);
                if (rows.Count < 51) (afterVillage, afterId) = ("", Guid.Empty);
                else (afterVillage, afterId) = (rows[49].Resident.VillageCode, rows[49].Resident.ResidentId);
            }
            latencies.Sort();
            Console.WriteLine($"ledger {ledger,-30} village {(village.Length == 0 ? "(all)" : village),-12} " +
                $"p50 {latencies[latencies.Count / 2]:F1} ms  p99 {latencies[(int)(latencies.Count * 0.99)]:F1} ms  max {latencies[^1]:F1} ms");
        }
}
