using System.Net;
using System.Text;
using Grpc.Core;
using Medins.Fuzz.Tests;
using Xunit.Abstractions;

namespace Medins.Security.Tests;

/// <summary>
/// Each RPC against callers holding one role each: a caller is refused PERMISSION_DENIED (ROLE_REQUIRED, naming the
/// role) exactly when it lacks the RPC's declared role, and a city-scope reader is refused every write and leaves
/// nothing behind. Empty requests: a caller let through usually meets INVALID_ARGUMENT, which is the point.
/// </summary>
public sealed class RoleMatrixTests(SecurityPlatform platform, ITestOutputHelper output) : IClassFixture<SecurityPlatform>
{
    private const string Lidu = "cq-lidu";
    private const string RoleRequired = "ROLE_REQUIRED";
    private static readonly string[] SingleRoles = ["read", "collect", "manage", "audit"];

    public static TheoryData<string, string> MutatingRpcsBySingleRole()
    {
        var data = new TheoryData<string, string>();
        foreach (var rpc in PlatformContracts.Rpcs.Where(r => r.Mutating))
        foreach (var role in SingleRoles)
            data.Add(rpc.FullName, role);
        return data;
    }

    public static TheoryData<string> ReadRpcs()
    {
        var data = new TheoryData<string>();
        foreach (var rpc in PlatformContracts.Rpcs.Where(r => !r.Mutating)) data.Add(rpc.FullName);
        return data;
    }

    private static PlatformContracts.Rpc Rpc(string fullName) => PlatformContracts.Rpcs.Single(r => r.FullName == fullName);

    private Task<RawRpc.Outcome> CallAsync(PlatformContracts.Rpc rpc, SecurityPlatform.Caller caller) =>
        RawRpc.CallAsync(platform.Channel(rpc.Service, caller), rpc.Method);

    private static void AssertDeniedForLackOf(string role, RawRpc.Outcome outcome)
    {
        Assert.True(outcome.Status == StatusCode.PermissionDenied && outcome.Reason == RoleRequired,
            $"expected PERMISSION_DENIED {RoleRequired}, got {outcome}");
        Assert.Equal(role, outcome.Metadata.GetValueOrDefault("required_role"));
    }

    [Theory]
    [MemberData(nameof(MutatingRpcsBySingleRole))]
    public async Task MutatingRpc_TenantCallerWithOneRole_DeniedExactlyWhenLackingTheDeclaredRole(string rpcName, string role)
    {
        var rpc = Rpc(rpcName);

        var outcome = await CallAsync(rpc, new SecurityPlatform.Caller(Lidu, CityScope: false, [role]));

        output.WriteLine(outcome.ToString());
        if (role == rpc.RoleName)
            Assert.True(outcome.Status is not (StatusCode.PermissionDenied or StatusCode.Unauthenticated),
                $"a caller holding '{role}' was refused: {outcome}");
        else
            AssertDeniedForLackOf(rpc.RoleName, outcome);
    }

    [Theory]
    [MemberData(nameof(ReadRpcs))]
    public async Task ReadRpc_CollectOnlyCaller_DeniedForLackOfItsRole(string rpcName)
    {
        var rpc = Rpc(rpcName);

        var outcome = await CallAsync(rpc, new SecurityPlatform.Caller(Lidu, CityScope: false, ["collect"]));

        AssertDeniedForLackOf(rpc.RoleName, outcome);
    }

    [Theory]
    [MemberData(nameof(ReadRpcs))]
    public async Task ReadRpc_CallerWithOnlyItsRole_NotDenied(string rpcName)
    {
        var rpc = Rpc(rpcName);
        // City-only reports are asked across the city; everything else in one tenant.
        var caller = rpc.RoleName == "audit"
            ? new SecurityPlatform.Caller(null, CityScope: true, ["audit"])
            : new SecurityPlatform.Caller(Lidu, CityScope: false, ["read"]);

        var outcome = await CallAsync(rpc, caller);

        output.WriteLine(outcome.ToString());
        Assert.True(outcome.Status is not (StatusCode.PermissionDenied or StatusCode.Unauthenticated),
            $"a caller holding '{rpc.RoleName}' was refused: {outcome}");
    }

    [Fact]
    public async Task EveryRpc_EmptyRequestWithAndWithoutItsRole_EveryRefusalSpeaksToTheClerkInZhCn()
    {
        var refusals = 0;
        var wrong = new List<string>();
        foreach (var rpc in PlatformContracts.Rpcs)
        {
            var allowed = rpc.RoleName == "audit"
                ? new SecurityPlatform.Caller(null, CityScope: true, ["audit"])
                : new SecurityPlatform.Caller(Lidu, CityScope: false, [rpc.RoleName]);
            var denied = new SecurityPlatform.Caller(Lidu, CityScope: false, [rpc.RoleName == "read" ? "collect" : "read"]);
            foreach (var caller in new[] { allowed, denied })
            {
                var outcome = await CallAsync(rpc, caller);
                if (outcome.Status == StatusCode.OK) continue;
                refusals++;
                if (outcome.Clerk is not { Locale: "zh-CN" } clerk || !clerk.Message.Any(c => c is >= '\u4e00' and <= '\u9fff')
                    || clerk.Message.Contains("fen") || System.Text.RegularExpressions.Regex.IsMatch(clerk.Message, "[A-Z]{2,}_[A-Z]"))
                    wrong.Add($"{rpc}: {outcome} zh-CN: {outcome.Clerk?.Message ?? "(none)"}");
            }
        }

        Assert.True(refusals > PlatformContracts.Rpcs.Count, $"only {refusals} refusals: the sweep proves little");
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task CityReaderWithAudit_EveryMutatingRpc_DeniedAndNothingWritten()
    {
        var before = await StoreSnapshot.TakeAsync(platform.Db.Owner, new HashSet<string>());
        var wrong = new List<string>();

        foreach (var rpc in PlatformContracts.Rpcs.Where(r => r.Mutating))
        foreach (var tenant in new[] { null, Lidu })
        {
            var outcome = await CallAsync(rpc, new SecurityPlatform.Caller(tenant, CityScope: true, ["read", "audit"]));
            if (outcome.Status != StatusCode.PermissionDenied || outcome.Reason != RoleRequired
                || outcome.Metadata.GetValueOrDefault("required_role") != rpc.RoleName)
                wrong.Add($"{rpc} for tenant {tenant ?? "(none)"}: {outcome}");
        }

        Assert.Empty(wrong);
        // city_scope_audit included: a refused write is not even audited, as nothing was done.
        Assert.Empty(before.Differences(await StoreSnapshot.TakeAsync(platform.Db.Owner, new HashSet<string>())));
    }

    [Fact]
    public async Task CityReaderWithAudit_JsonWrites_Http403AndNothingWritten()
    {
        var before = await StoreSnapshot.TakeAsync(platform.Db.Owner, new HashSet<string>());
        var caller = new SecurityPlatform.Caller(Lidu, CityScope: true, ["read", "audit"]);
        using var identity = platform.Json(Medins.Identity.V1.IdentityRegistryService.Descriptor, caller);
        using var payment = platform.Json(Medins.Payment.V1.PaymentCollectionService.Descriptor, caller);

        using var register = await identity.PostAsync("/v1/residents", Json("""
            {"requestId":"sec-1","nationalId":"500102199001011234","name":"张三","villageCode":"500116001001"}
            """));
        using var order = await payment.PostAsync("/v1/paymentOrders", Json("""{"requestId":"sec-2","residentId":"1","coverageYear":2024}"""));

        Assert.Equal(HttpStatusCode.Forbidden, register.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, order.StatusCode);
        Assert.Contains(RoleRequired, await register.Content.ReadAsStringAsync());
        Assert.Empty(before.Differences(await StoreSnapshot.TakeAsync(platform.Db.Owner, new HashSet<string>())));
    }

    [Fact]
    public async Task TenantReader_JsonRead_AllowedButWriteForbidden()
    {
        using var identity = platform.Json(Medins.Identity.V1.IdentityRegistryService.Descriptor,
            new SecurityPlatform.Caller(Lidu, CityScope: false, ["read"]));

        using var read = await identity.GetAsync("/v1/divisions");
        using var write = await identity.PostAsync("/v1/households", Json("""{"requestId":"sec-3","householdNumber":"H1"}"""));

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
    }

    [Fact]
    public async Task CityCallerGrantedManage_WriteNamingATenant_StoredInThatTenantAndAudited()
    {
        var caller = new SecurityPlatform.Caller(Lidu, CityScope: true, ["read", "audit", "manage"], Client: "bureau-registrar");
        var client = new Medins.Identity.V1.IdentityRegistryService.IdentityRegistryServiceClient(
            platform.Channel(Medins.Identity.V1.IdentityRegistryService.Descriptor, caller));

        await client.RecordHouseholdAsync(new Medins.Identity.V1.RecordHouseholdRequest
        {
            RequestId = "sec-city-household", HouseholdNumber = "SEC-500102-0001", VillageCode = "500102901001", BookletMemberCount = 3,
        });

        Assert.Equal(Lidu, await ScalarAsync<string>(
            "SELECT tenant_id FROM identity_registry.households WHERE household_number = 'SEC-500102-0001'"));
        Assert.Equal(1L, await ScalarAsync<long>("""
            SELECT count(*) FROM identity_registry.city_scope_audit
            WHERE actor = 'bureau-registrar' AND operation = '/medins.identity.v1.IdentityRegistryService/RecordHousehold'
            """));
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var cmd = platform.Db.Owner.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
