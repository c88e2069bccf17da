using Grpc.Core;
using Medins.Identity.V1;

namespace Medins.IdentityRegistry.Grpc;

/// <summary>Certified identities: department lists imported by stream or CSV, and revocation (the work is <see cref="IdentityImports"/>'s).</summary>
public sealed partial class IdentityRegistryGrpcService
{
    public override Task<ImportIdentitiesResponse> ImportIdentities(IAsyncStreamReader<ImportIdentitiesRequest> requestStream,
        ServerCallContext context) => identities.ImportStreamAsync(requestStream, context.CancellationToken);

    public override Task<ImportIdentitiesCsvResponse> ImportIdentitiesCsv(ImportIdentitiesCsvRequest request, ServerCallContext context) =>
        identities.ImportCsvAsync(request, context.CancellationToken);

    public override Task<RevokeIdentityResponse> RevokeIdentity(RevokeIdentityRequest request, ServerCallContext context) =>
        identities.RevokeAsync(request, context.CancellationToken);
}
