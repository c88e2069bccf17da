using Medins.Contribution.V1;
using Medins.Identity.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Grpc;
using ErrorReason = Medins.Contribution.V1.ErrorReason;

namespace Medins.ContributionCalculation.Upstream;

/// <summary>
/// A resident's registered facts from identity-registry, in the caller's tenant: her birth date and her certified
/// identities. Within the platform's default upstream deadline; a failure arrives as this service's refusal.
/// </summary>
internal static class ResidentFacts
{
    private const string Upstream = "identity-registry";

    /// <param name="field">The request field that named the resident, for errors ("resident_id", "members[1].resident_id").</param>
    public static async Task<Resident> GetAsync(IdentityRegistryService.IdentityRegistryServiceClient registry, string residentId,
        string field, TimeProvider time, CancellationToken ct)
    {
        var response = await UpstreamCalls.CallAsync(Upstream,
            token => registry.GetResidentAsync(new GetResidentRequest { ResidentId = residentId }, cancellationToken: token).ResponseAsync,
            time, ct, notFoundReason: ErrorReasons.Code(ErrorReason.ResidentNotFound), field: field);
        return response.Resident ?? throw UpstreamCalls.BadResponse(Upstream, "no resident");
    }
}
