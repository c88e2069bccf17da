using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.QuotaTracking.Data;
using Medins.QuotaTracking.Domain;

namespace Medins.QuotaTracking.Progress;

/// <summary>
/// Sets the campaign gauges from the live counters for each tenant's current campaign (the latest coverage year
/// whose campaign has opened and whose schedule has not ended): villages behind today's expected rate, and the
/// enrolment rate of each township. Labels are tenant and township code, bounded by the division tables.
/// </summary>
public sealed class ProgressGauges(PlatformDatabase db, TimeProvider time)
{
    private readonly HashSet<string> _tenants = [];
    private readonly HashSet<(string, string)> _townships = [];

    public async Task RefreshAsync(IReadOnlyList<TenantRules> allRules, CancellationToken ct)
    {
        var today = ShanghaiCalendar.Today(time);
        var current = allRules
            .Where(r => r.Rules.Campaign.Opens <= today && today <= (r.Rules.Progress?.LastSnapshot ?? r.Rules.Campaign.Closes))
            .GroupBy(r => r.TenantId)
            .Select(g => g.MaxBy(r => r.CoverageYear)!)
            .ToList();
        var villages = await db.InSystemScopeAsync(async (conn, tx) =>
        {
            var byTenant = new List<(TenantRules Rules, List<VillageRow> Villages)>();
            foreach (var rules in current)
                byTenant.Add((rules, await ProgressQueries.AllVillagesAsync(conn, tx, rules.TenantId, rules.CoverageYear, ct)));
            return byTenant;
        }, ct);

        var tenants = new HashSet<string>();
        var townships = new HashSet<(string, string)>();
        foreach (var (rules, rows) in villages)
        {
            var expected = rules.Rules.Progress is { } schedule ? Schedule.ExpectedRateBp(schedule, today) : 0;
            QuotaMetrics.VillagesBehindSchedule.WithLabels(rules.TenantId).Set(rows.Count(v => Schedule.GapBp(v.EnrolmentRate, expected) > 0));
            tenants.Add(rules.TenantId);
            // Every channel's payment counter exists from the campaign's first day, at zero until its first
            // payment: the throughput panels show 0, not "no data", and a missing series means a broken exporter.
            foreach (var channel in Enum.GetValues<PaymentChannel>().Where(c => c != PaymentChannel.Unspecified))
                QuotaMetrics.PaymentsApplied.WithLabels(rules.TenantId, QuotaMetrics.ChannelLabel(CounterDimensions.ChannelKey(channel)));
            foreach (var township in rows.Where(v => v.HasTarget).GroupBy(v => v.TownshipCode))
            {
                if (Rate.Of(township.Sum(v => v.Counts.Enrolled), township.Sum(v => v.EffectiveBase)) is not { } rate) continue;
                QuotaMetrics.TownshipEnrolmentRatio.WithLabels(rules.TenantId, township.Key).Set(rate.AsRatio);
                townships.Add((rules.TenantId, township.Key));
            }
        }
        // Series of campaigns no longer current disappear instead of freezing at their last value.
        lock (_tenants)
        {
            foreach (var stale in _tenants.Except(tenants)) QuotaMetrics.VillagesBehindSchedule.RemoveLabelled(stale);
            foreach (var (tenant, township) in _townships.Except(townships)) QuotaMetrics.TownshipEnrolmentRatio.RemoveLabelled(tenant, township);
            _tenants.Clear();
            _tenants.UnionWith(tenants);
            _townships.Clear();
            _townships.UnionWith(townships);
        }
    }
}
