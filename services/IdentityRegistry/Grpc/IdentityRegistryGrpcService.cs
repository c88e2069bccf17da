using System.Text.RegularExpressions;
using Medins.Identity.V1;
using Medins.IdentityRegistry.Domain;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Hosting.Tenancy;
using Npgsql;

namespace Medins.IdentityRegistry.Grpc;

/// <summary>
/// Maps the gRPC contract to the resident store. ID numbers and phones leave masked unless the caller has city
/// scope: county and village systems need to recognise a person, not to copy her number, while the bureau's
/// city-scope staff reconcile with tax and civil-affairs lists by full number. City-scope reads of residents go
/// through the audited city scope, so every disclosure of full numbers is recorded with who asked.
/// The RPCs are written by resource, one partial file each (Divisions, Residents, Households, LifeEvents, PersonFacts,
/// Ledgers, Identities), each with the mapping of its resource to the contract; this file holds what they share.
/// </summary>
public sealed partial class IdentityRegistryGrpcService(PlatformDatabase db, TenantContext tenant, RequestLog requestLog,
    Outbox outbox, IdentityProtector protector, TimeProvider time, IdentityImports identities, ILogger<IdentityRegistryGrpcService> logger)
    : IdentityRegistryService.IdentityRegistryServiceBase
{
    [GeneratedRegex("^[0-9]{12}$")]
    private static partial Regex VillageCodePattern();

    /// <summary>Residents of one tenant: masked in the tenant's own scope, in full through the audited city scope.</summary>
    private Task<T> ReadResidentsAsync<T>(string tenantId, string rpc, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        CancellationToken ct) =>
        tenant.IsCityScope
            ? db.InCityScopeAsync(tenant.Client, "IdentityRegistryService/" + rpc, $"unmasked resident identities of tenant {tenantId}", work, ct)
            : db.InTenantAsync(tenantId, work, ct);

    /// <summary>Ties a ciphertext to its tenant, row and column.</summary>
    private static string Binding(string tenantId, Guid residentId, string column) => $"{tenantId}/{residentId}/{column}";
}
