extern alias quotatracking;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;
using QuotaRulesException = quotatracking::Medins.QuotaTracking.Domain.QuotaRulesException;
using QuotaRulesReader = quotatracking::Medins.QuotaTracking.Domain.QuotaRulesReader;

namespace Medins.Migrator;

/// <summary>The city data was refused: nothing of it was written. Every problem names its tenant.</summary>
public sealed class CityDataRefusedException(IReadOnlyList<string> problems)
    : Exception("The city data was refused and nothing of it was written:" + string.Concat(problems.Select(p => "\n  - " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// A city release's own data, as the Helm chart hands it to the migration job (<c>Migrator:CityData</c>, a JSON
/// file): its tenants with their division trees, village targets, identity vocabulary, quota rules and the policy
/// each follows (a document given in the file, or a shipped one by name — the image's documents are only defaults).
/// Loading upserts: an upgrade applies edited names, targets, rules and codes. It never deletes: a division or an
/// identity code stored for a tenant but gone from the file is refused, and so is a policy that differs from every
/// published version (published versions never change). Everything is checked first and written in one transaction,
/// so a refusal leaves the database as it was.
/// </summary>
public static partial class CityData
{
    public sealed record CityFile(string City, int CoverageYear, IReadOnlyList<Tenant> Tenants,
        IReadOnlyDictionary<string, JsonElement>? Policies, IReadOnlyDictionary<string, JsonElement>? QuotaRules);

    /// <param name="QuotaRules">A key of the file's <c>quotaRules</c>, or a shipped rules document's name.</param>
    /// <param name="IdentityCodes">The tenant's certified-identity vocabulary; null leaves the stored one as it is.</param>
    public sealed record Tenant(string Id, string Name, Division County, Division? City, string? Policy, string? QuotaRules,
        IReadOnlyList<Township> Townships, IReadOnlyList<IdentityCode>? IdentityCodes);

    public sealed record Division(string Code, string Name);

    public sealed record Township(string Code, string Name, IReadOnlyList<Village> Villages);

    public sealed record Village(string Code, string Name, int? RegisteredPopulation, int? Task);

    /// <summary>A local identity code, its canonical category, certifying department and import step (导盘顺序).</summary>
    /// <param name="LocalCode">The code the department's list carries; the category itself when the list has none.</param>
    public sealed record IdentityCode(string? LocalCode, string Category, string Department, string Name, int? ImportStep)
    {
        public string Code => string.IsNullOrEmpty(LocalCode) ? Category : LocalCode;
    }

    /// <summary>What identity-registry's identity_codes accepts as a certifying department.</summary>
    public static readonly IReadOnlySet<string> Departments = new HashSet<string>(StringComparer.Ordinal)
    {
        "civil_affairs", "rural_revitalisation", "health", "disabled_persons_federation", "veterans_affairs",
        "natural_resources", "education",
    };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex Slug();

    public static CityFile Parse(string json) =>
        JsonSerializer.Deserialize<CityFile>(json, Json) ?? throw new FormatException("The city data file is empty.");

    /// <summary>A tenant's policy and quota rules, read and checked.</summary>
    private sealed record TenantPlan(Tenant Tenant, string PolicyName, DemoPolicies.Header Policy, string PolicyText,
        string RulesName, string RulesJson, string RulesText);

    /// <summary>Checks everything, then upserts it in one transaction.</summary>
    /// <exception cref="CityDataRefusedException">A tenant lacks rules or a policy for the year, a document is invalid, or
    /// the file would delete or change what must stay (divisions, identity codes, published policies).</exception>
    public static async Task LoadAsync(NpgsqlDataSource owner, CityFile city, Assembly assembly, TimeProvider time,
        TextWriter log, CancellationToken ct = default)
    {
        var plans = Plan(city, assembly);
        var loadedBy = $"migrator:{city.City}";
        var now = time.GetUtcNow().ToUniversalTime();

        await using var conn = await owner.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var toPublish = await CheckStoredAsync(conn, tx, city, plans, ct);

        var divisions = 0;
        var codes = 0;
        var targets = 0;
        var rules = 0;
        foreach (var root in city.Tenants.Select(t => t.City).OfType<Division>().DistinctBy(c => c.Code))
            divisions += await DivisionAsync(conn, tx, "city", root.Code, root.Name, "city", null, null, ct);
        foreach (var plan in plans)
        {
            var tenant = plan.Tenant;
            divisions += await DivisionAsync(conn, tx, tenant.Id, tenant.County.Code, tenant.County.Name, "county", tenant.City?.Code, null, ct);
            foreach (var township in tenant.Townships)
            {
                divisions += await DivisionAsync(conn, tx, tenant.Id, township.Code, township.Name, "township", tenant.County.Code, null, ct);
                foreach (var village in township.Villages)
                {
                    divisions += await DivisionAsync(conn, tx, tenant.Id, village.Code, village.Name, "village", township.Code,
                        village.RegisteredPopulation, ct);
                    if (village is { RegisteredPopulation: { } population, Task: { } task })
                        targets += await TargetAsync(conn, tx, tenant.Id, city.CoverageYear, village.Code, population, task, ct);
                }
            }
            foreach (var code in tenant.IdentityCodes ?? [])
                codes += await IdentityCodeAsync(conn, tx, tenant.Id, code, ct);
            rules += await QuotaRulesAsync(conn, tx, tenant.Id, city.CoverageYear, plan, loadedBy, now, ct);
        }
        foreach (var plan in toPublish)
            await PublishVersionOneAsync(conn, tx, plan, loadedBy, now, ct);
        var absent = await TenantsNotInFileAsync(conn, tx, plans, ct);
        await tx.CommitAsync(ct);

        if (absent.Count > 0)
            await log.WriteLineAsync($"tenants stored but no longer in the city data, left as they are: {string.Join(", ", absent)}");

        await log.WriteLineAsync($"city data of {city.City} ({city.Tenants.Count} tenants, coverage year {city.CoverageYear}): "
            + $"{divisions} division rows, {targets} village targets, {codes} identity codes and {rules} quota rules added or changed; "
            + $"{toPublish.Count} policy versions published");
    }

    /// <summary>Reads and checks every tenant's documents and tree; refuses with every problem found.</summary>
    private static List<TenantPlan> Plan(CityFile city, Assembly assembly)
    {
        var problems = new List<string>();
        var plans = new List<TenantPlan>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tenant in city.Tenants)
        {
            var id = tenant.Id;
            if (!seen.Add(id)) problems.Add($"tenant {id} is listed twice");
            CheckTree(tenant, problems);
            CheckIdentityCodes(tenant, problems);

            DemoPolicies.Header? policy = null;
            string? policyText = null;
            if (string.IsNullOrEmpty(tenant.Policy))
                problems.Add($"tenant {id} has no policy for coverage year {city.CoverageYear} (tenants[].policy)");
            else if ((policyText = Inline(city.Policies, tenant.Policy) ?? DemoPolicies.Shipped(assembly, tenant.Policy)) is null)
                problems.Add($"tenant {id}: policy {tenant.Policy} is neither in policies nor a shipped policy");
            else
            {
                try
                {
                    policy = DemoPolicies.ReadHeader(tenant.Policy, policyText);
                    if (policy.CoverageYear != city.CoverageYear)
                        problems.Add($"tenant {id} has no policy for coverage year {city.CoverageYear}: policy {tenant.Policy} is for {policy.CoverageYear}");
                    if (!policy.AppliesTo.Contains(id))
                        problems.Add($"tenant {id}: policy {tenant.Policy} does not list it in appliesTo");
                }
                catch (Exception ex) when (ex is FormatException or JsonException)
                {
                    problems.Add($"tenant {id}: {ex.Message}");
                }
            }

            string? rulesText = null;
            string? rulesJson = null;
            if (string.IsNullOrEmpty(tenant.QuotaRules))
                problems.Add($"tenant {id} has no quota rules for coverage year {city.CoverageYear} (tenants[].quotaRules)");
            else if ((rulesText = Inline(city.QuotaRules, tenant.QuotaRules) ?? DemoQuotaRules.Shipped(assembly, tenant.QuotaRules)) is null)
                problems.Add($"tenant {id}: quota rules {tenant.QuotaRules} are neither in quotaRules nor shipped rules");
            else
            {
                try
                {
                    // quota-tracking's own reader: what it would refuse as QUOTA_RULES_INVALID is refused here, before writing.
                    var read = QuotaRulesReader.Read(rulesText);
                    rulesJson = JsonNode.Parse(rulesText, documentOptions: DocumentOptions)!.ToJsonString();
                    if (read.CoverageYear != city.CoverageYear)
                        problems.Add($"tenant {id} has no quota rules for coverage year {city.CoverageYear}: {tenant.QuotaRules} are for {read.CoverageYear}");
                    if (!read.AppliesTo.Contains(id))
                        problems.Add($"tenant {id}: quota rules {tenant.QuotaRules} do not list it in appliesTo");
                }
                catch (QuotaRulesException ex)
                {
                    problems.Add($"tenant {id}: quota rules {tenant.QuotaRules} are invalid (QUOTA_RULES_INVALID): {string.Join("; ", ex.Errors)}");
                }
            }

            if (policy is not null && rulesJson is not null)
                plans.Add(new TenantPlan(tenant, tenant.Policy!, policy, policyText!, tenant.QuotaRules!, rulesJson, rulesText!));
        }
        return problems.Count == 0 ? plans : throw new CityDataRefusedException(problems);
    }

    private static string? Inline(IReadOnlyDictionary<string, JsonElement>? documents, string name) =>
        documents is not null && documents.TryGetValue(name, out var document) ? document.GetRawText() : null;

    private static void CheckTree(Tenant tenant, List<string> problems)
    {
        foreach (var township in tenant.Townships)
        {
            if (!township.Code.StartsWith(tenant.County.Code, StringComparison.Ordinal))
                problems.Add($"tenant {tenant.Id}: township {township.Code} is not under county {tenant.County.Code}");
            foreach (var village in township.Villages)
            {
                if (!village.Code.StartsWith(township.Code, StringComparison.Ordinal))
                    problems.Add($"tenant {tenant.Id}: village {village.Code} is not under township {township.Code}");
                if (village.Task is not null && village.RegisteredPopulation is null)
                    problems.Add($"tenant {tenant.Id}: village {village.Code} has a task but no registeredPopulation (the task table's base)");
                if (village is { Task: { } task, RegisteredPopulation: { } population } && (task < 0 || population < 0))
                    problems.Add($"tenant {tenant.Id}: village {village.Code} has a negative task or population");
            }
        }
    }

    private static void CheckIdentityCodes(Tenant tenant, List<string> problems)
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var code in tenant.IdentityCodes ?? [])
        {
            if (!codes.Add(code.Code)) problems.Add($"tenant {tenant.Id}: identity code {code.Code} is listed twice");
            if (!Slug().IsMatch(code.Category))
                problems.Add($"tenant {tenant.Id}: identity code {code.Code} has category '{code.Category}', not lower-case words joined by hyphens");
            if (!Departments.Contains(code.Department))
                problems.Add($"tenant {tenant.Id}: identity code {code.Code} has department '{code.Department}', not one of {string.Join(", ", Departments)}");
            if (code.ImportStep is <= 0)
                problems.Add($"tenant {tenant.Id}: identity code {code.Code} has importStep {code.ImportStep}; steps start at 1");
            if (string.IsNullOrWhiteSpace(code.Name))
                problems.Add($"tenant {tenant.Id}: identity code {code.Code} has no name");
        }
    }

    /// <summary>
    /// What the stored data forbids: deleting a division or identity code, changing a published policy version, a base
    /// below the reductions already granted. Returns the tenants whose policy has no version for the year yet.
    /// </summary>
    private static async Task<List<TenantPlan>> CheckStoredAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CityFile city,
        IReadOnlyList<TenantPlan> plans, CancellationToken ct)
    {
        var problems = new List<string>();
        var toPublish = new List<TenantPlan>();
        var tenantIds = plans.Select(p => p.Tenant.Id).ToArray();
        var byId = plans.ToDictionary(p => p.Tenant.Id, StringComparer.Ordinal);

        // A division is never deleted: residents, targets, counters and ledgers refer to it by code.
        await using (var cmd = new NpgsqlCommand("""
            SELECT tenant_id, code, level, name FROM identity_registry.divisions
            WHERE tenant_id = ANY($1) AND level <> 'city' ORDER BY tenant_id, code
            """, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = tenantIds });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var tenant = byId[reader.GetString(0)].Tenant;
                var code = reader.GetString(1);
                var inValues = tenant.County.Code == code
                               || tenant.Townships.Any(t => t.Code == code || t.Villages.Any(v => v.Code == code));
                if (!inValues)
                    problems.Add($"tenant {tenant.Id}: {reader.GetString(2)} {code} ({reader.GetString(3)}) is stored but no longer in values; "
                                 + "divisions are never deleted (residents and targets refer to them): put it back");
            }
        }

        // Nor is an identity code, when the values give the tenant's vocabulary: certified identities carry it.
        await using (var cmd = new NpgsqlCommand(
                         "SELECT tenant_id, local_code FROM identity_registry.identity_codes WHERE tenant_id = ANY($1) ORDER BY 1, 2", conn, tx))
        {
            cmd.Parameters.Add(new() { Value = plans.Where(p => p.Tenant.IdentityCodes is not null).Select(p => p.Tenant.Id).ToArray() });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var tenant = byId[reader.GetString(0)].Tenant;
                var code = reader.GetString(1);
                if (!tenant.IdentityCodes!.Any(c => c.Code == code))
                    problems.Add($"tenant {tenant.Id}: identity code {code} is stored but no longer in identityCodes; "
                                 + "codes are never deleted (certified identities carry them): put it back");
            }
        }

        // A task reduction lowers the base; a new base must still cover the reductions granted.
        await using (var cmd = new NpgsqlCommand("""
            SELECT tenant_id, village_code, reduced_count FROM quota_tracking.village_targets
            WHERE tenant_id = ANY($1) AND coverage_year = $2 AND reduced_count > 0
            """, conn, tx))
        {
            cmd.Parameters.Add(new() { Value = tenantIds });
            cmd.Parameters.Add(new() { Value = city.CoverageYear });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var tenant = byId[reader.GetString(0)].Tenant;
                var village = tenant.Townships.SelectMany(t => t.Villages).FirstOrDefault(v => v.Code == reader.GetString(1));
                if (village is { RegisteredPopulation: { } population, Task: not null } && population < reader.GetInt32(2))
                    problems.Add($"tenant {tenant.Id}: village {village.Code} has registeredPopulation {population}, below the "
                                 + $"{reader.GetInt32(2)} people already reduced from its task");
            }
        }

        // Published versions never change: the values' document must be one of them, or there is none yet.
        foreach (var plan in plans)
        {
            await using var cmd = new NpgsqlCommand("""
                SELECT policy_id, document = $3::jsonb FROM contribution_calculation.policies
                WHERE tenant_id = $1 AND coverage_year = $2 ORDER BY version
                """, conn, tx);
            cmd.Parameters.Add(new() { Value = plan.Tenant.Id });
            cmd.Parameters.Add(new() { Value = plan.Policy.CoverageYear });
            cmd.Parameters.Add(new() { Value = plan.Policy.PlainJson, NpgsqlDbType = NpgsqlDbType.Text });
            var versions = new List<(string Id, bool Same)>();
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) versions.Add((reader.GetString(0), reader.GetBoolean(1)));
            if (versions.Count == 0) toPublish.Add(plan);
            else if (!versions.Any(v => v.Same))
                problems.Add($"tenant {plan.Tenant.Id}: policy {plan.PolicyName} differs from the published {string.Join(", ", versions.Select(v => v.Id))}; "
                             + "a published version never changes: publish the change as a new version (PublishPolicy, effective from "
                             + "today or later), then give the same document here");
        }

        return problems.Count == 0 ? toPublish : throw new CityDataRefusedException(problems);
    }

    /// <summary>Tenants with divisions that the file no longer lists: nothing of theirs is deleted, only reported.</summary>
    private static async Task<List<string>> TenantsNotInFileAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        IReadOnlyList<TenantPlan> plans, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT DISTINCT tenant_id FROM identity_registry.divisions WHERE tenant_id <> 'city' AND NOT tenant_id = ANY($1) ORDER BY 1
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = plans.Select(p => p.Tenant.Id).ToArray() });
        var tenants = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) tenants.Add(reader.GetString(0));
        return tenants;
    }

    private static async Task<int> DivisionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string code,
        string name, string level, string? parent, int? registeredPopulation, CancellationToken ct)
    {
        // Both services keep the tree: identity-registry with each village's registered population, quota-tracking
        // to roll progress up. A population left out keeps the stored one.
        var changed = await ExecuteAsync(conn, tx, """
            INSERT INTO identity_registry.divisions AS d (tenant_id, code, name, level, parent_code, registered_population)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, level = excluded.level,
              parent_code = excluded.parent_code, registered_population = coalesce(excluded.registered_population, d.registered_population)
            WHERE (d.name, d.level, d.parent_code, d.registered_population)
              IS DISTINCT FROM (excluded.name, excluded.level, excluded.parent_code, coalesce(excluded.registered_population, d.registered_population))
            """, ct, tenantId, code, name, level, Text(parent), Int(registeredPopulation));
        await ExecuteAsync(conn, tx, """
            INSERT INTO quota_tracking.divisions AS d (tenant_id, code, name, level, parent_code) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code
            WHERE (d.name, d.level, d.parent_code) IS DISTINCT FROM (excluded.name, excluded.level, excluded.parent_code)
            """, ct, tenantId, code, name, level, Text(parent));
        return changed;
    }

    /// <summary>A task table row: the registered population is the base the rate counts against.</summary>
    private static Task<int> TargetAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int year, string village,
        int population, int task, CancellationToken ct) =>
        ExecuteAsync(conn, tx, """
            INSERT INTO quota_tracking.village_targets AS t (tenant_id, coverage_year, village_code, registered_population, base, task, task_source)
            VALUES ($1, $2, $3, $4, $4, $5, 'task-table')
            ON CONFLICT (tenant_id, coverage_year, village_code) DO UPDATE SET registered_population = excluded.registered_population,
              base = excluded.base, task = excluded.task, task_source = excluded.task_source, raised_to_last_year = false
            WHERE (t.registered_population, t.base, t.task, t.task_source, t.raised_to_last_year)
              IS DISTINCT FROM (excluded.registered_population, excluded.base, excluded.task, excluded.task_source, false)
            """, ct, tenantId, year, village, population, task);

    private static Task<int> IdentityCodeAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, IdentityCode code,
        CancellationToken ct) =>
        ExecuteAsync(conn, tx, """
            INSERT INTO identity_registry.identity_codes AS c (tenant_id, local_code, category, department, name, import_step)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (tenant_id, local_code) DO UPDATE SET category = excluded.category, department = excluded.department,
              name = excluded.name, import_step = excluded.import_step
            WHERE (c.category, c.department, c.name, c.import_step)
              IS DISTINCT FROM (excluded.category, excluded.department, excluded.name, excluded.import_step)
            """, ct, tenantId, code.Code, code.Category, code.Department, code.Name, Int(code.ImportStep));

    private static async Task<int> QuotaRulesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int year,
        TenantPlan plan, string loadedBy, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO quota_tracking.quota_rules AS r (tenant_id, coverage_year, name, document, document_text, loaded_by, loaded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (tenant_id, coverage_year) DO UPDATE SET name = excluded.name, document = excluded.document,
              document_text = excluded.document_text, loaded_by = excluded.loaded_by, loaded_at = excluded.loaded_at
            WHERE (r.name, r.document) IS DISTINCT FROM (excluded.name, excluded.document)
            """, conn, tx);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = year });
        cmd.Parameters.Add(new() { Value = NameOf(plan.RulesJson) ?? plan.RulesName });
        cmd.Parameters.Add(new() { Value = plan.RulesJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new() { Value = plan.RulesText });
        cmd.Parameters.Add(new() { Value = loadedBy });
        cmd.Parameters.Add(new() { Value = now });
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static string? NameOf(string rulesJson) => JsonNode.Parse(rulesJson)?["name"]?.GetValue<string>();

    /// <summary>Version 1 as contribution-calculation's PublishPolicy stores one (named &lt;tenant&gt;-&lt;year&gt;-v1).</summary>
    private static Task<int> PublishVersionOneAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TenantPlan plan, string publishedBy,
        DateTimeOffset now, CancellationToken ct)
    {
        var header = plan.Policy;
        return ExecuteAsync(conn, tx, """
            INSERT INTO contribution_calculation.policies (tenant_id, coverage_year, version, policy_id, document, published_at,
              effective_from, document_text, published_by, applies_to)
            VALUES ($1, $2, 1, $3, $4::jsonb, $5, $6, $7, $8, $9)
            """, ct, plan.Tenant.Id, header.CoverageYear, $"{plan.Tenant.Id}-{header.CoverageYear}-v1", header.PlainJson, now,
            header.EffectiveFrom, plan.PolicyText, publishedBy, header.AppliesTo.ToArray());
    }

    private static object Text(string? value) => new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static object Int(int? value) => new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer };

    private static async Task<int> ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct,
        params object[] values)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var value in values)
            cmd.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value });
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
