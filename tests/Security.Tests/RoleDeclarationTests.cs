using System.Text.RegularExpressions;
using Medins.Auth.V1;

namespace Medins.Security.Tests;

/// <summary>Every RPC names the role it needs, and docs/roles.md says exactly what the contracts say.</summary>
public sealed partial class RoleDeclarationTests
{
    [Fact]
    public void Contracts_EveryServiceOfThePlatform_Found()
    {
        Assert.Equal(
        [
            "medins.contribution.v1.ContributionCalculationService",
            "medins.identity.v1.IdentityRegistryService",
            "medins.notification.v1.NotificationService",
            "medins.payment.v1.PaymentCollectionService",
            "medins.payment.v1.ReconciliationService",
            "medins.payment.v1.VillageCashService",
            "medins.quota.v1.QuotaTrackingService",
        ], PlatformContracts.Services.Select(s => s.FullName));
    }

    [Fact]
    public void EveryRpc_DeclaresARequiredRole()
    {
        var undeclared = PlatformContracts.Rpcs.Where(r => r.Role == Role.Unspecified).Select(r => r.FullName).ToList();

        Assert.True(PlatformContracts.Rpcs.Count > 60, "every service's RPCs are read");
        Assert.Empty(undeclared);
    }

    [Fact]
    public void RolesDocument_ListsEveryRpcWithItsDeclaredRole()
    {
        var document = File.ReadAllText(Path.Combine(PlatformContracts.RepositoryRoot(), "docs", "roles.md"));
        var documented = TableRow().Matches(document)
            .Select(m => (Rpc: m.Groups["rpc"].Value, Role: m.Groups["role"].Value))
            .Where(r => PlatformContracts.Rpcs.Any(c => c.Method.Name == r.Rpc))
            .OrderBy(r => r.Rpc, StringComparer.Ordinal)
            .ToList();
        var declared = PlatformContracts.Rpcs.Select(r => (Rpc: r.Method.Name, Role: r.RoleName))
            .OrderBy(r => r.Rpc, StringComparer.Ordinal)
            .ToList();

        // RPC names are unique across the platform, so the document can name them without their service.
        Assert.Equal(declared.Count, declared.Select(r => r.Rpc).Distinct().Count());
        Assert.Equal(declared, documented);
    }

    [Theory]
    [InlineData("/medins.identity.v1.IdentityRegistryService/ListDuplicateResidents", Role.Audit)]
    [InlineData("/medins.identity.v1.IdentityRegistryService/RegisterResident", Role.Manage)]
    [InlineData("/medins.identity.v1.IdentityRegistryService/ImportIdentities", Role.Manage)]
    [InlineData("/medins.identity.v1.IdentityRegistryService/ListResidents", Role.Read)]
    [InlineData("/medins.payment.v1.PaymentCollectionService/ConfirmPayment", Role.Collect)]
    [InlineData("/medins.payment.v1.PaymentCollectionService/ResolvePaymentReview", Role.Collect)]
    [InlineData("/medins.payment.v1.ReconciliationService/ImportStatement", Role.Collect)]
    [InlineData("/medins.payment.v1.VillageCashService/RecordCashCollection", Role.Collect)]
    [InlineData("/medins.contribution.v1.ContributionCalculationService/PublishPolicy", Role.Manage)]
    [InlineData("/medins.quota.v1.QuotaTrackingService/ImportVillageTargets", Role.Manage)]
    [InlineData("/medins.notification.v1.NotificationService/CreateReminderCampaign", Role.Manage)]
    public void Rpc_KnownRisk_DeclaresTheRoleItsSubjectNeeds(string rpc, Role role)
    {
        Assert.Equal(role, PlatformContracts.Rpcs.Single(r => r.FullName == rpc).Role);
    }

    [Fact]
    public void EveryRpcWithARequestId_IsMutating()
    {
        // AIP-155: every mutating RPC takes a request id, so one that takes it but needs only read is mislabelled.
        var readOnlyWithRequestId = PlatformContracts.Rpcs
            .Where(r => !r.Mutating && r.Method.InputType.FindFieldByName("request_id") is not null)
            .Select(r => r.FullName)
            .ToList();

        Assert.Empty(readOnlyWithRequestId);
    }

    [GeneratedRegex(@"^\|\s*(?<rpc>[A-Z][A-Za-z]+)\s*\|\s*(?<role>read|collect|manage|audit)\s*\|", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
