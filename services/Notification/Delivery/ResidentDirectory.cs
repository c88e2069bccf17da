using Grpc.Core;
using Medins.Identity.V1;
using Medins.Platform.Hosting.Tenancy;

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
/// call names its tenant and this service as the client. Looking up a resident's phone number takes city scope,
/// which the registry audits per call; ledgers are read in tenant scope (names, masked numbers).
/// </summary>
public sealed class ResidentDirectory(IdentityRegistryService.IdentityRegistryServiceClient registry)
{
    private const string Client = "notification";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task<ResidentLookup> FindAsync(string tenantId, string residentId, CancellationToken ct)
    {
        try
        {
            var response = await registry.GetResidentAsync(new GetResidentRequest { ResidentId = residentId },
                Headers(tenantId, cityScope: true), DateTime.UtcNow.Add(Timeout), ct);
            return response.Resident is null ? new ResidentLookup.Unknown() : new ResidentLookup.Found(response.Resident);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            // An id the registry calls malformed names nobody it knows either.
            return new ResidentLookup.Unknown();
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !ct.IsCancellationRequested)
        {
            return new ResidentLookup.Unavailable($"identity-registry: {ex.StatusCode} {ex.Status.Detail}");
        }
    }

    /// <summary>Every entry of a ledger, page by page.</summary>
    public async IAsyncEnumerable<IReadOnlyList<LedgerEntry>> LedgerPagesAsync(string tenantId, Ledger ledger, int coverageYear,
        string villageCode, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var token = "";
        do
        {
            var page = await registry.ListLedgerAsync(new ListLedgerRequest
            {
                Ledger = ledger,
                CoverageYear = coverageYear,
                VillageCode = villageCode,
                PageSize = 500,
                PageToken = token,
            }, Headers(tenantId, cityScope: false), DateTime.UtcNow.Add(Timeout), ct);
            yield return page.Entries;
            token = page.NextPageToken;
        } while (token.Length > 0);
    }

    private static Metadata Headers(string tenantId, bool cityScope)
    {
        var headers = new Metadata { { TenantHeaders.TenantId, tenantId }, { TenantHeaders.Client, Client } };
        if (cityScope) headers.Add(TenantHeaders.Scope, "city");
        return headers;
    }
}
