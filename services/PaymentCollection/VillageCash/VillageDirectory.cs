using Grpc.Core;
using Medins.Identity.V1;
using Medins.PaymentCollection.Upstream;

namespace Medins.PaymentCollection.VillageCash;

/// <summary>Asks identity-registry, which owns the divisions, whether a village is one of the calling tenant's.</summary>
public sealed class VillageDirectory(TimeProvider time, IdentityRegistryService.IdentityRegistryServiceClient identityRegistry)
{
    private const string IdentityRegistry = "identity-registry";
    private static readonly TimeSpan UpstreamTimeout = TimeSpan.FromSeconds(10);

    public async Task<bool> IsTenantVillageAsync(string villageCode, CancellationToken ct)
    {
        // Codes nest (GB/T 2260 and the statistical division codes): a village's township is its first nine digits.
        var request = new ListDivisionsRequest { ParentCode = villageCode[..9], PageSize = 500 };
        using var timeout = new CancellationTokenSource(UpstreamTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            while (true)
            {
                var page = await identityRegistry.ListDivisionsAsync(request, cancellationToken: linked.Token);
                if (page.Divisions.Any(d => d.Code == villageCode && d.Level == DivisionLevel.Village)) return true;
                if (page.NextPageToken.Length == 0) return false;
                request.PageToken = page.NextPageToken;
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException
                                   && timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw UpstreamErrors.Timeout(IdentityRegistry);
        }
        catch (RpcException ex)
        {
            throw UpstreamErrors.Map(ex, IdentityRegistry);
        }
    }
}
