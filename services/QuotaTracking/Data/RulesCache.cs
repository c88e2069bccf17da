using Medins.Platform.Hosting;
using System.Collections.Concurrent;
using Grpc.Core;
using Medins.QuotaTracking.Domain;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Medins.QuotaTracking.Data;

/// <summary>
/// The rules event handlers count key groups with, kept for a short while: every payment needs them and they change
/// once a year. Rules reloaded by the migrator take effect within <see cref="Lifetime"/>.
/// </summary>
public sealed class RulesCache(TimeProvider time, ILogger<RulesCache> logger)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<(string, int), (DateTimeOffset Until, QuotaRules? Rules)> _entries = new();

    public async Task<QuotaRules?> GetAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, int coverageYear, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue((tenantId, coverageYear), out var entry) && entry.Until > now) return entry.Rules;
        QuotaRules? rules;
        try
        {
            rules = (await RulesStore.FindAsync(conn, tx, tenantId, coverageYear, ct))?.Rules;
        }
        catch (RuleViolation ex)
        {
            // Broken rules must not stop counting; only key groups go uncounted until they are fixed.
            logger.LogError("Counting {TenantId} {Year} without key groups: {Error}", tenantId, coverageYear, ex.Message);
            rules = null;
        }
        _entries[(tenantId, coverageYear)] = (now + Lifetime, rules);
        return rules;
    }
}
