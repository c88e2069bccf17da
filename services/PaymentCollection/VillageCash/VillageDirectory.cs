using Medins.Identity.V1;
using Medins.Platform.Hosting.Grpc;

namespace Medins.PaymentCollection.VillageCash;

/// <summary>Asks identity-registry, which owns the divisions, whether a village is one of the calling tenant's.</summary>
public sealed class VillageDirectory(TimeProvider time, IdentityRegistryService.IdentityRegistryServiceClient identityRegistry)
{
    private const string IdentityRegistry = "identity-registry";

    public Task<bool> IsTenantVillageAsync(string villageCode, CancellationToken ct)
    {
        // Codes nest (GB/T 2260 and the statistical division codes): a village's township is its first nine digits.
        var request = new ListDivisionsRequest { ParentCode = villageCode[..9], PageSize = 500 };
        // One deadline for the whole walk through the township's pages.
        return UpstreamCalls.CallAsync(IdentityRegistry, async callCt =>
        {
            while (true)
            {
                var page = await identityRegistry.ListDivisionsAsync(request, cancellationToken: callCt);
                if (page.Divisions.Any(d => d.Code == villageCode && d.Level == DivisionLevel.Village)) return true;
                if (page.NextPageToken.Length == 0) return false;
                request.PageToken = page.NextPageToken;
            }
        }, time, ct);
    }
}
