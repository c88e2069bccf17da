using Grpc.Core;
using Medins.Identity.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Grpc;

namespace Medins.Notification.Delivery;

/// <summary>What the registry says of a resident when a message to her is about to go out.</summary>
public abstract record ResidentLookup
{
    public sealed record Found(Resident Resident) : ResidentLookup;
    public sealed record Unknown : ResidentLookup;
    public sealed record Unavailable(string Error) : ResidentLookup;
}

/// <summary>
/// identity-registry as notification reads it, from background work with no caller to borrow a tenant from: each
/// call names its tenant and this service as the client. Looking up residents' phone numbers takes city scope, which
/// the registry audits per call (one call per dispatched batch); ledgers are read in tenant scope (names, masked numbers).
/// </summary>
public sealed class ResidentDirectory(IdentityRegistryService.IdentityRegistryServiceClient registry, TimeProvider time)
{
    private const string IdentityRegistry = "identity-registry";
    private const int BatchLimit = 500;

    /// <summary>
    /// Many residents at once (one audited registry call per 500): each id maps to Found or Unknown, or every id to
    /// Unavailable when the registry cannot answer.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, ResidentLookup>> FindManyAsync(string tenantId, IReadOnlyCollection<string> residentIds,
        CancellationToken ct)
    {
        var lookups = new Dictionary<string, ResidentLookup>(StringComparer.Ordinal);
        // The registry refuses the whole batch for a malformed id: such an id names nobody it knows.
        var wellFormed = residentIds.Where(id => Guid.TryParse(id, out _)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var id in residentIds) lookups[id] = new ResidentLookup.Unknown();
        try
        {
            foreach (var chunk in wellFormed.Chunk(BatchLimit))
            {
                var response = await UpstreamCalls.CallAsync(IdentityRegistry, token => registry.BatchGetResidentsAsync(
                    new BatchGetResidentsRequest { ResidentIds = { chunk } }, Headers(tenantId, cityScope: true),
                    cancellationToken: token).ResponseAsync, time, ct);
                foreach (var resident in response.Residents) lookups[resident.ResidentId] = new ResidentLookup.Found(resident);
            }
        }
        catch (RuleViolation ex)
        {
            var unavailable = new ResidentLookup.Unavailable($"{IdentityRegistry}: {UpstreamCode(ex)} {Detail(ex)}");
            foreach (var id in wellFormed) lookups[id] = unavailable;
        }
        return lookups;
    }

    /// <summary>Every entry of a ledger, page by page.</summary>
    public async IAsyncEnumerable<IReadOnlyList<LedgerEntry>> LedgerPagesAsync(string tenantId, Ledger ledger, int coverageYear,
        string villageCode, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var token = "";
        do
        {
            var request = new ListLedgerRequest
            {
                Ledger = ledger,
                CoverageYear = coverageYear,
                VillageCode = villageCode,
                PageSize = 500,
                PageToken = token,
            };
            var page = await UpstreamCalls.CallAsync(IdentityRegistry, t => registry.ListLedgerAsync(request,
                Headers(tenantId, cityScope: false), cancellationToken: t).ResponseAsync, time, ct);
            yield return page.Entries;
            token = page.NextPageToken;
        } while (token.Length > 0);
    }

    /// <summary>The status the registry answered with (DeadlineExceeded when it did not answer in time).</summary>
    internal static string UpstreamCode(RuleViolation ex) => ex.Facts.GetValueOrDefault("upstream_code") ?? "DeadlineExceeded";

    private static string Detail(RuleViolation ex) =>
        ex.Message.StartsWith(IdentityRegistry + ": ", StringComparison.Ordinal) ? ex.Message[(IdentityRegistry.Length + 2)..] : ex.Message;

    private static Metadata Headers(string tenantId, bool cityScope) => ActingTenant.For(tenantId, cityScope);
}
