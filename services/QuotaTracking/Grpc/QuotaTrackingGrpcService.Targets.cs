using Grpc.Core;
using Medins.Platform.Hosting;
using Medins.Quota.V1;
using Medins.QuotaTracking.Data;
using Medins.QuotaTracking.Domain;
using Microsoft.Extensions.Logging;
using Npgsql;
using ErrorReason = Medins.Quota.V1.ErrorReason;

namespace Medins.QuotaTracking.Grpc;

/// <summary>The tenant's quota rules and village targets.</summary>
public sealed partial class QuotaTrackingGrpcService
{
    private const int MaxVillagesPerImport = 10_000;

    public override async Task<GetQuotaRulesResponse> GetQuotaRules(GetQuotaRulesRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;
        var stored = await db.InTenantAsync(tenantId, (conn, tx) => RulesStore.RequireAsync(conn, tx, tenantId, request.CoverageYear, ct), ct);
        return new GetQuotaRulesResponse
        {
            CoverageYear = request.CoverageYear,
            Name = stored.Name,
            Document = stored.DocumentText,
            LoadTime = ProtoMapping.ToTimestamp(stored.LoadedAt),
            LoadedBy = stored.LoadedBy,
        };
    }

    public override async Task<ImportVillageTargetsResponse> ImportVillageTargets(ImportVillageTargetsRequest request, ServerCallContext context)
    {
        var validator = RequireRequestId(new RequestValidator(), request.RequestId)
            .Check(IsCoverageYear(request.CoverageYear), "coverage_year", "must be a year such as 2024")
            .Check(request.Villages.Count is > 0 and <= MaxVillagesPerImport, "villages", $"must list 1 to {MaxVillagesPerImport} villages");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Villages.Count; i++)
        {
            var village = request.Villages[i];
            var path = $"villages[{i}]";
            validator
                .Require(village.VillageCode, path + ".village_code")
                .Check(village.VillageCode.Length <= 64, path + ".village_code", "must be at most 64 characters")
                .Check(village.VillageCode.Length == 0 || seen.Add(village.VillageCode), path + ".village_code", "is listed twice")
                .Check(!village.HasRegisteredPopulation || village.RegisteredPopulation >= 0, path + ".registered_population", "must not be negative")
                .Check(!village.HasResidentPopulation || village.ResidentPopulation >= 0, path + ".resident_population", "must not be negative")
                .Check(!village.HasLastYearEnrolled || village.LastYearEnrolled >= 0, path + ".last_year_enrolled", "must not be negative")
                .Check(!village.HasTask || village.Task >= 0, path + ".task", "must not be negative");
            foreach (var (group, groupBase) in village.KeyGroupBases)
                validator.Check(groupBase >= 0, $"{path}.key_group_bases[{group}]", "must not be negative");
        }
        validator.ThrowIfInvalid();

        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;
        var response = await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(ImportVillageTargets), request.RequestId, request,
                ImportVillageTargetsResponse.Parser, () => ImportAsync(conn, tx, tenantId, request, ct), ct), ct);
        return response;
    }

    private async Task<ImportVillageTargetsResponse> ImportAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        ImportVillageTargetsRequest request, CancellationToken ct)
    {
        var year = request.CoverageYear;
        var rules = (await RulesStore.RequireAsync(conn, tx, tenantId, year, ct)).Rules;
        var codes = request.Villages.Select(v => v.VillageCode).ToList();
        var known = await TargetStore.KnownVillagesAsync(conn, tx, tenantId, codes, ct);
        var unknown = request.Villages.Select((v, i) => (v, i)).Where(x => !known.Contains(x.v.VillageCode))
            .Select(x => ($"villages[{x.i}].village_code", $"'{x.v.VillageCode}' is not a village or community of this tenant")).ToArray();
        if (unknown.Length > 0)
            throw RpcErrors.InvalidArgument(ErrorReason.UnknownVillage, "Some villages are not villages or communities of this tenant.", unknown);

        // Last year's enrolled count: as imported, else the previous coverage year's counters kept here.
        var lastYear = await TargetStore.EnrolledCountsAsync(conn, tx, tenantId, year - 1, codes, ct);
        var reduced = await TargetStore.ReducedCountsAsync(conn, tx, tenantId, year, codes, ct);
        var problems = new List<(string, string)>();
        var rows = new List<(VillageTargetRow Row, List<KeyGroupTarget> Groups)>();
        for (var i = 0; i < request.Villages.Count; i++)
        {
            var input = request.Villages[i];
            var path = $"villages[{i}]";
            var bases = new VillageBases(
                input.HasRegisteredPopulation ? input.RegisteredPopulation : null,
                input.HasResidentPopulation ? input.ResidentPopulation : null,
                input.HasLastYearEnrolled ? input.LastYearEnrolled : lastYear.TryGetValue(input.VillageCode, out var counted) ? counted : null,
                input.HasTask ? input.Task : null);
            if (Targets.Resolve(rules.Targets, bases) is not { } target)
            {
                problems.Add((path + "." + BaseField(rules.Targets.Base), $"is required: the rules count against the {BaseField(rules.Targets.Base).Replace('_', ' ')}"));
                continue;
            }
            var alreadyReduced = reduced.GetValueOrDefault(input.VillageCode);
            if (alreadyReduced > target.Base)
                problems.Add((path, $"the base {target.Base} is below the {alreadyReduced} people already reduced from the task"));
            var groups = new List<KeyGroupTarget>();
            foreach (var (groupId, groupBase) in input.KeyGroupBases.OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                if (rules.KeyGroup(groupId) is not { } group)
                {
                    problems.Add(($"{path}.key_group_bases[{groupId}]", "is not a key group of the rules"));
                    continue;
                }
                groups.Add(new KeyGroupTarget { KeyGroup = groupId, Base = groupBase, Target = Targets.KeyGroupTarget(groupBase, group.TargetRateBp) });
            }
            rows.Add((new VillageTargetRow(input.VillageCode, bases, target, alreadyReduced), groups));
        }
        if (problems.Count > 0)
            throw RpcErrors.InvalidArgument(ErrorReason.InvalidTargets, "Some targets cannot be set: " + string.Join("; ", problems.Select(p => $"{p.Item1} {p.Item2}")),
                [.. problems]);

        var response = new ImportVillageTargetsResponse();
        foreach (var (row, groups) in rows)
        {
            await TargetStore.UpsertAsync(conn, tx, tenantId, year, row, ct);
            foreach (var group in groups)
                await TargetStore.UpsertKeyGroupAsync(conn, tx, tenantId, year, row.VillageCode, group.KeyGroup, (int)group.Base, (int)group.Target, ct);
            var target = new VillageTarget
            {
                VillageCode = row.VillageCode,
                Base = row.Target.Base,
                Task = row.Target.Task,
                Source = row.Target.FromTaskTable ? TaskSource.TaskTable : TaskSource.Computed,
                ReducedCount = row.ReducedCount,
                RaisedToLastYear = row.Target.RaisedToLastYear,
            };
            target.KeyGroups.AddRange(groups);
            response.Targets.Add(target);
            response.TotalBase += row.Target.Base;
            response.TotalTask += row.Target.Task;
        }
        await TargetStore.RecordImportAsync(conn, tx, tenantId, year, request.RequestId, tenant.Client, time.GetUtcNow().ToUniversalTime(),
            rows.Count, ct);
        logger.LogInformation("Imported targets of {Count} villages for {Year} by {Client}", rows.Count, year, tenant.Client);
        return response;
    }

    private static string BaseField(TargetBase targetBase) => targetBase switch
    {
        TargetBase.RegisteredPopulation => "registered_population",
        TargetBase.ResidentPopulation => "resident_population",
        _ => "last_year_enrolled",
    };
}
