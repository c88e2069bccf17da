using System.Diagnostics;
using Google.Protobuf;
using Medins.Contribution.V1;
using Medins.IdentityRegistry.Data;
using Medins.IdentityRegistry.Domain;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Testing;
using Microsoft.Extensions.Configuration;
using Npgsql;
using NpgsqlTypes;

namespace Medins.LoadGenerator;

public sealed record PreloadOptions(string OwnerConnection, int Residents, string? IdentitySettings, int CoverageYear)
{
    public static PreloadOptions Parse(string[] args)
    {
        string? Find(string name)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        return new PreloadOptions(Find("owner-connection") ?? throw new ArgumentException("preload needs --owner-connection"),
            int.Parse(Find("residents") ?? "1000000"), Find("identity-settings"), int.Parse(Find("coverage-year") ?? "2023"));
    }
}

/// <summary>
/// The synthetic people of a preload: resident k of the whole load (k from 0) has a national ID of her village's
/// county, born on day k / 1000 after 2000-01-01 with order code k % 1000, so IDs are unique across tenants, valid by
/// checksum, and never among the load generator's own (born 1940 to 1997). Their names mark them as preloaded.
/// </summary>
public static class PreloadRows
{
    public const string NamePrefix = "预载居民";
    public static readonly DateOnly FirstBirth = new(2000, 1, 1);

    /// <summary>Resident indexes [Start, Start + Count) of tenant number <paramref name="tenant"/> of <paramref name="tenants"/>.</summary>
    public static (int Start, int Count) Share(int residents, int tenants, int tenant)
    {
        var start = (int)((long)residents * tenant / tenants);
        return (start, (int)((long)residents * (tenant + 1) / tenants) - start);
    }

    public static BulkResident Resident(int index, IReadOnlyList<string> villages)
    {
        var village = villages[index % villages.Count];
        return new BulkResident(NationalIds.Make(village[..6], FirstBirth.AddDays(index / 1000), index % 1000),
            $"{NamePrefix}{index}", village, HouseholdNumber: null, Relationship: null, RegistrationType: "household_registered", Phone: null);
    }

    /// <summary>Last year's price: the 2023 standard personal contribution (380 yuan) and the fiscal subsidy (640 yuan).</summary>
    public const long PersonalFen = 38_000;
    public const long SubsidyFen = 64_000;

    public static Quote Quote(int coverageYear) => new()
    {
        PolicyId = $"preload-{coverageYear}",
        PolicyVersion = 1,
        CoverageYear = coverageYear,
        Tier = 1,
        StandardAmountFen = PersonalFen,
        SubsidyAmountFen = SubsidyFen,
        PersonalAmountFen = PersonalFen,
        BenefitStartDate = new Google.Type.Date { Year = coverageYear, Month = 1, Day = 1 },
        BenefitEndDate = new Google.Type.Date { Year = coverageYear, Month = 12, Day = 31 },
        Explanation = $"{coverageYear}年度城乡居民医保个人缴费（预载数据）",
        PersonGroup = "general",
    };
}

/// <summary>
/// Bulk-loads a city-sized history into the running platform's database as its owner: residents through
/// identity-registry's own bulk loader (its sealing and lookup hash, COPY through a staging table), then for each of
/// them last year's paid order and its confirmation (payment-collection), her enrolment (identity-registry), the
/// order as quota-tracking keeps it and the receipt notification sent, each by binary COPY. Counters per village
/// stay as they are: they hold one row per village and year whatever the population. Running it again adds nothing:
/// residents already loaded are skipped, and the rest is written only for preloaded residents without last year's
/// paid order, in one transaction per tenant.
/// </summary>
public static class Preload
{
    public static async Task<int> RunAsync(PreloadOptions options, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var protector = IdentityProtector.Create(IdentityKeys(options.IdentitySettings));
        var builder = new NpgsqlConnectionStringBuilder(options.OwnerConnection)
        {
            SearchPath = "identity_registry", CommandTimeout = 0, Timeout = 60,
        };
        await using var identityDb = NpgsqlDataSource.Create(builder.ConnectionString);
        var villagesByTenant = await VillagesAsync(identityDb, ct);
        if (villagesByTenant.Count == 0) { Console.Error.WriteLine("No tenant has villages: is the demo city loaded?"); return 2; }

        var loader = new ResidentBulkLoader(new PlatformDatabase(identityDb, TimeProvider.System), protector, TimeProvider.System);
        var tenants = villagesByTenant.Keys.Order(StringComparer.Ordinal).ToList();
        for (var t = 0; t < tenants.Count; t++)
        {
            var tenant = tenants[t];
            var (start, count) = PreloadRows.Share(options.Residents, tenants.Count, t);
            var present = await PreloadedCountAsync(identityDb, tenant, ct);
            if (present >= count)
            {
                Console.WriteLine($"  {tenant}: {present:N0} preloaded residents already there");
                continue;
            }
            var rows = Enumerable.Range(start, count).Select(i => PreloadRows.Resident(i, villagesByTenant[tenant])).ToList();
            var step = Stopwatch.StartNew();
            var result = await loader.LoadAsync(tenant, rows, ct);
            Console.WriteLine($"  {tenant}: {result.Inserted:N0} residents loaded ({result.Skipped:N0} there already, " +
                              $"{result.Rejections.Count} rejected) in {step.Elapsed.TotalSeconds:F0} s");
        }

        foreach (var tenant in tenants)
        {
            var step = Stopwatch.StartNew();
            var written = await LoadHistoryAsync(options.OwnerConnection, tenant, options.CoverageYear, ct);
            Console.WriteLine($"  {tenant}: {written:N0} paid orders of {options.CoverageYear} with their confirmation, enrolment, " +
                              $"quota order and receipt in {step.Elapsed.TotalSeconds:F0} s");
        }

        await using (var conn = new NpgsqlConnection(builder.ConnectionString))
        {
            await conn.OpenAsync(ct);
            await using var analyze = new NpgsqlCommand("ANALYZE", conn) { CommandTimeout = 0 };
            await analyze.ExecuteNonQueryAsync(ct);
        }
        Console.WriteLine($"preload done in {watch.Elapsed.TotalSeconds:F0} s (ANALYZE included)");
        return 0;
    }

    /// <summary>The keys identity-registry seals with: its settings file, overridden by IdentityRegistry__* variables as the service is.</summary>
    private static IdentityProtectionOptions IdentityKeys(string? settingsFile)
    {
        var configuration = new ConfigurationBuilder();
        if (settingsFile is not null) configuration.AddJsonFile(Path.GetFullPath(settingsFile), optional: false);
        var options = new IdentityProtectionOptions();
        configuration.AddEnvironmentVariables().Build().GetSection(IdentityProtectionOptions.Section).Bind(options);
        return options;
    }

    private static async Task<Dictionary<string, List<string>>> VillagesAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using var cmd = db.CreateCommand("SELECT tenant_id, code FROM divisions WHERE level = 'village' ORDER BY tenant_id, code");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var tenant = reader.GetString(0);
            if (!result.TryGetValue(tenant, out var codes)) result[tenant] = codes = [];
            codes.Add(reader.GetString(1));
        }
        return result;
    }

    private static async Task<long> PreloadedCountAsync(NpgsqlDataSource db, string tenant, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT count(*) FROM residents WHERE tenant_id = $1 AND name LIKE $2");
        cmd.Parameters.Add(new() { Value = tenant });
        cmd.Parameters.Add(new() { Value = PreloadRows.NamePrefix + "%" });
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private sealed record Paid(Guid ResidentId, string VillageCode, Guid OrderId, Guid ConfirmationId, Guid EventId, Guid MessageId,
        long Receipt, DateTimeOffset PaidAt);

    /// <summary>Writes last year's history of the tenant's preloaded residents that have none yet; returns how many.</summary>
    private static async Task<int> LoadHistoryAsync(string ownerConnection, string tenant, int year, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(ownerConnection);
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var residents = new List<(Guid Id, string Village)>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT r.resident_id, r.village_code FROM identity_registry.residents r
            WHERE r.tenant_id = $1 AND r.name LIKE $2
              AND NOT EXISTS (SELECT 1 FROM payment_collection.payment_orders o
                              WHERE o.tenant_id = r.tenant_id AND o.resident_id = r.resident_id::text AND o.coverage_year = $3
                                AND o.state = 'paid')
            ORDER BY r.resident_id
            """, conn, tx) { CommandTimeout = 0 })
        {
            cmd.Parameters.Add(new() { Value = tenant });
            cmd.Parameters.Add(new() { Value = PreloadRows.NamePrefix + "%" });
            cmd.Parameters.Add(new() { Value = year });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) residents.Add((reader.GetGuid(0), reader.GetString(1)));
        }
        if (residents.Count == 0) return 0;

        // Receipt numbers come from the service's own city-wide sequence, so later receipts never collide with these.
        var receipts = new List<long>(residents.Count);
        await using (var cmd = new NpgsqlCommand(
            "SELECT nextval('payment_collection.payment_receipt_numbers') FROM generate_series(1, $1)", conn, tx) { CommandTimeout = 0 })
        {
            cmd.Parameters.Add(new() { Value = residents.Count });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) receipts.Add(reader.GetInt64(0));
        }

        // Paid through last year's campaign (September to December, Shanghai noon); ids rise in that order.
        var campaign = new DateTimeOffset(year - 1, 9, 1, 4, 0, 0, TimeSpan.Zero);
        var ids = new RisingIds(campaign);
        var paid = residents.Select((r, i) => new Paid(r.Id, r.Village, ids.At(4 * i), ids.At(4 * i + 1), ids.At(4 * i + 2), ids.At(4 * i + 3),
            receipts[i], campaign.AddSeconds((double)i / residents.Count * 120 * 86_400))).ToList();
        var quote = JsonFormatter.Default.Format(PreloadRows.Quote(year));
        var benefitStart = new DateOnly(year, 1, 1);
        var benefitEnd = new DateOnly(year, 12, 31);
        var subsidyLines = """[{"category":"resident_subsidy","fundingSource":"central","amountFen":64000,"description":"财政补助"}]""";

        await CopyAsync(conn, "payment_collection.payment_orders", paid, [
            ("tenant_id", NpgsqlDbType.Text, _ => tenant), ("order_id", NpgsqlDbType.Uuid, p => p.OrderId),
            ("resident_id", NpgsqlDbType.Text, p => p.ResidentId.ToString()), ("village_code", NpgsqlDbType.Text, p => p.VillageCode),
            ("coverage_year", NpgsqlDbType.Integer, _ => year), ("tier", NpgsqlDbType.Integer, _ => 1),
            ("channel", NpgsqlDbType.Text, _ => "wechat_pay"), ("state", NpgsqlDbType.Text, _ => "paid"),
            ("personal_amount_fen", NpgsqlDbType.Bigint, _ => PreloadRows.PersonalFen),
            ("subsidy_amount_fen", NpgsqlDbType.Bigint, _ => PreloadRows.SubsidyFen),
            ("policy_id", NpgsqlDbType.Text, _ => $"preload-{year}"), ("policy_version", NpgsqlDbType.Integer, _ => 1),
            ("quote", NpgsqlDbType.Jsonb, _ => quote), ("benefit_start", NpgsqlDbType.Date, _ => benefitStart),
            ("benefit_end", NpgsqlDbType.Date, _ => benefitEnd),
            ("channel_transaction_id", NpgsqlDbType.Text, p => TransactionId(year, p.Receipt)),
            ("created_at", NpgsqlDbType.TimestampTz, p => p.PaidAt.AddMinutes(-1)), ("paid_at", NpgsqlDbType.TimestampTz, p => p.PaidAt),
            ("expires_at", NpgsqlDbType.TimestampTz, p => p.PaidAt.AddHours(2)), ("subsidy_lines", NpgsqlDbType.Jsonb, _ => subsidyLines),
            ("person_group", NpgsqlDbType.Text, _ => "general"), ("receipt_number", NpgsqlDbType.Text, p => $"{year}{p.Receipt:D10}"),
        ], ct);
        await CopyAsync(conn, "payment_collection.payment_confirmations", paid, [
            ("tenant_id", NpgsqlDbType.Text, _ => tenant), ("confirmation_id", NpgsqlDbType.Uuid, p => p.ConfirmationId),
            ("order_id", NpgsqlDbType.Uuid, p => p.OrderId), ("channel", NpgsqlDbType.Text, _ => "wechat_pay"),
            ("channel_transaction_id", NpgsqlDbType.Text, p => TransactionId(year, p.Receipt)),
            ("amount_fen", NpgsqlDbType.Bigint, _ => PreloadRows.PersonalFen), ("reported_paid_at", NpgsqlDbType.TimestampTz, p => p.PaidAt),
            ("received_at", NpgsqlDbType.TimestampTz, p => p.PaidAt), ("outcome", NpgsqlDbType.Text, _ => "confirmed"),
        ], ct);
        await CopyAsync(conn, "identity_registry.enrolments", paid, [
            ("tenant_id", NpgsqlDbType.Text, _ => tenant), ("resident_id", NpgsqlDbType.Uuid, p => p.ResidentId),
            ("coverage_year", NpgsqlDbType.Integer, _ => year), ("status", NpgsqlDbType.Text, _ => "enrolled"),
            ("order_id", NpgsqlDbType.Text, p => p.OrderId.ToString()), ("personal_amount_fen", NpgsqlDbType.Bigint, _ => PreloadRows.PersonalFen),
            ("benefit_start", NpgsqlDbType.Date, _ => benefitStart), ("benefit_end", NpgsqlDbType.Date, _ => benefitEnd),
            ("updated_at", NpgsqlDbType.TimestampTz, p => p.PaidAt), ("subsidy_lines", NpgsqlDbType.Jsonb, _ => subsidyLines),
        ], ct);
        await CopyAsync(conn, "quota_tracking.contribution_orders", paid, [
            ("tenant_id", NpgsqlDbType.Text, _ => tenant), ("order_id", NpgsqlDbType.Text, p => p.OrderId.ToString()),
            ("state", NpgsqlDbType.Text, _ => "enrolled"), ("coverage_year", NpgsqlDbType.Integer, _ => year),
            ("village_code", NpgsqlDbType.Text, p => p.VillageCode), ("person_group", NpgsqlDbType.Text, _ => "general"),
            ("channel", NpgsqlDbType.Text, _ => "PAYMENT_CHANNEL_WECHAT_PAY"), ("personal_amount_fen", NpgsqlDbType.Bigint, _ => PreloadRows.PersonalFen),
            ("net_personal_fen", NpgsqlDbType.Bigint, _ => PreloadRows.PersonalFen), ("paid_event_id", NpgsqlDbType.Uuid, p => p.EventId),
            ("updated_at", NpgsqlDbType.TimestampTz, p => p.PaidAt),
        ], ct);
        await CopyAsync(conn, "notification.messages", paid, [
            ("tenant_id", NpgsqlDbType.Text, _ => tenant), ("message_id", NpgsqlDbType.Uuid, p => p.MessageId),
            ("recipient_kind", NpgsqlDbType.Text, _ => "RESIDENT"), ("recipient_id", NpgsqlDbType.Text, p => p.ResidentId.ToString()),
            ("template_key", NpgsqlDbType.Text, _ => "payment-receipt"), ("channel", NpgsqlDbType.Text, _ => "SMS"),
            ("body", NpgsqlDbType.Text, p => $"您已缴纳{year}年度城乡居民医保个人缴费380.00元，票据号{year}{p.Receipt:D10}。"),
            ("status", NpgsqlDbType.Text, _ => "DELIVERED"), ("source_event_id", NpgsqlDbType.Uuid, p => p.EventId),
            ("created_at", NpgsqlDbType.TimestampTz, p => p.PaidAt), ("sent_at", NpgsqlDbType.TimestampTz, p => p.PaidAt.AddSeconds(5)),
            ("delivered_at", NpgsqlDbType.TimestampTz, p => p.PaidAt.AddSeconds(10)),
        ], ct);
        await tx.CommitAsync(ct);
        return paid.Count;
    }

    private static string TransactionId(int year, long receipt) => $"4200{year}{receipt:D12}";

    /// <summary>
    /// Binary COPY of <paramref name="rows"/> into <paramref name="table"/> (a fixed name, never input). As the owner
    /// the table's row-level security does not apply, which COPY FROM requires.
    /// </summary>
    private static async Task CopyAsync<T>(NpgsqlConnection conn, string table, IReadOnlyList<T> rows,
        (string Column, NpgsqlDbType Type, Func<T, object> Value)[] columns, CancellationToken ct)
    {
        await using var copy = await conn.BeginBinaryImportAsync(
            $"COPY {table} ({string.Join(", ", columns.Select(c => c.Column))}) FROM STDIN (FORMAT BINARY)", ct);
        copy.Timeout = TimeSpan.Zero;
        foreach (var row in rows)
        {
            await copy.StartRowAsync(ct);
            foreach (var (_, type, value) in columns) await copy.WriteAsync(value(row), type, ct);
        }
        await copy.CompleteAsync(ct);
    }
}
