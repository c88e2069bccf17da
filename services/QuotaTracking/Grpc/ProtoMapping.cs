using Medins.Quota.V1;
using Medins.QuotaTracking.Data;
using Medins.QuotaTracking.Domain;

namespace Medins.QuotaTracking.Grpc;

/// <summary>Rows and domain results as the contract's messages.</summary>
internal static class ProtoMapping
{
    public static VillageProgress ToProto(VillageRow row, int coverageYear)
    {
        var progress = new VillageProgress
        {
            TenantId = row.TenantId,
            VillageCode = row.VillageCode,
            CoverageYear = coverageYear,
            EnrolledCount = row.Counts.Enrolled,
            CollectedAmountFen = row.Counts.CollectedFen,
            RefundedCount = row.Counts.Refunded,
            VillageName = row.Name,
            TownshipCode = row.TownshipCode,
            Base = row.EffectiveBase,
            Task = row.EffectiveTask,
            ReducedCount = row.Reduced,
            PaidCount = row.Counts.Paid,
            ZeroContributionCount = row.Counts.ZeroContribution,
            DifferentialRefundCount = row.Counts.DifferentialRefunds,
            SubsidyAmountFen = row.Counts.SubsidyFen,
        };
        if (row.EnrolmentRate is { } rate) progress.EnrolmentRateBp = rate.FloorBp;
        if (row.TaskCompletion is { } completion) progress.TaskCompletionBp = completion.FloorBp;
        return progress;
    }

    public static EnrolmentCounts ToProto(Counts counts) => new()
    {
        EnrolledCount = counts.Enrolled,
        PaidCount = counts.Paid,
        ZeroContributionCount = counts.ZeroContribution,
        RefundedCount = counts.Refunded,
        CollectedAmountFen = counts.CollectedFen,
    };

    public static DivisionProgress ToProto(DivisionRow row, int coverageYear, ProgressLevel level)
    {
        var progress = new DivisionProgress
        {
            TenantId = row.TenantId,
            DivisionCode = row.Code,
            DivisionName = row.Name,
            Level = level,
            CoverageYear = coverageYear,
            Counts = ToProto(row.Counts),
            Base = row.Base - row.Reduced,
            Task = Math.Max(row.Task - row.Reduced, 0),
            ReducedCount = row.Reduced,
            VillageCount = row.VillageCount,
            VillagesWithoutTarget = row.VillagesWithoutTarget,
        };
        if (row.EnrolmentRate is { } rate) progress.EnrolmentRateBp = rate.FloorBp;
        if (row.TaskCompletion is { } completion) progress.TaskCompletionBp = completion.FloorBp;
        return progress;
    }

    /// <summary>Every key group the rules name, with its target where one was imported and its enrolled count.</summary>
    public static IEnumerable<KeyGroupProgress> KeyGroups(QuotaRules? rules, IReadOnlyList<KeyGroupTargetRow> targets,
        IReadOnlyDictionary<string, long> enrolled)
    {
        var ids = (rules?.KeyGroups.Select(g => g.Id) ?? []).Concat(targets.Select(t => t.KeyGroup)).Concat(enrolled.Keys)
            .Distinct(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var rule = rules?.KeyGroup(id);
            var target = targets.FirstOrDefault(t => t.KeyGroup == id);
            var count = enrolled.GetValueOrDefault(id);
            var progress = new KeyGroupProgress
            {
                KeyGroup = id,
                Name = rule?.Name ?? "",
                TargetRateBp = rule?.TargetRateBp ?? 0,
                Base = target?.Base ?? 0,
                Target = target?.Target ?? 0,
                EnrolledCount = count,
            };
            if (target is not null && Rate.Of(count, target.Base) is { } rate)
            {
                progress.RateBp = rate.FloorBp;
                progress.Reached = rate.AtLeastBp(progress.TargetRateBp);
            }
            yield return progress;
        }
    }

    public static Google.Protobuf.WellKnownTypes.Timestamp ToTimestamp(DateTimeOffset instant) =>
        Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(instant);
}
