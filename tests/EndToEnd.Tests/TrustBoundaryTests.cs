using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Testing;
using Medins.Quota.V1;

namespace Medins.EndToEnd.Tests;

/// <summary>
/// The attacks of a pod (or a local process) that reaches a service port directly: self-set tenant and scope
/// headers, an assertion signed with a key nobody trusts, forged CloudEvents. Every service must refuse them before
/// reading or writing anything, and listen on loopback only; the same calls through the gateway still work.
/// </summary>
[Collection("platform processes")]
public sealed class TrustBoundaryTests(RunningPlatform platform) : IClassFixture<RunningPlatform>
{
    private const string Linjiang = "cq-linjiang";
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    /// <summary>What the issue's attacker sent: a tenant, city scope and a client name, with no assertion.</summary>
    private static readonly (string Name, string Value)[] ForgedHeaders =
    [
        ("x-tenant-id", Linjiang),
        ("x-medins-scope", "city"),
        ("x-medins-client", "demo-city"),
    ];

    /// <summary>Per service: gRPC methods (a read and the writes) and JSON routes, each called with forged headers.</summary>
    private static readonly Dictionary<string, (string Service, (string Method, IMessage Request)[] Grpc, (HttpMethod Verb, string Path, string? Body)[] Http)> Attacks = new()
    {
        ["identity-registry"] = ("medins.identity.v1.IdentityRegistryService",
            [("ListResidents", new ListResidentsRequest { PageSize = 100 }),
             ("ListDuplicateResidents", new ListDuplicateResidentsRequest()),
             ("RegisterResident", new RegisterResidentRequest
             {
                 RequestId = "forged-register", NationalId = NationalIds.Make("500118", new DateOnly(1990, 1, 2), 377),
                 Name = "伪造", VillageCode = "500118901201", RegistrationType = RegistrationType.HouseholdRegistered,
             })],
            [(HttpMethod.Get, "/v1/residents", null),
             (HttpMethod.Get, "/v1/duplicateResidents", null),
             (HttpMethod.Post, "/v1/residents", """{"requestId":"forged-register-json","nationalId":"110101199003074514","name":"伪造","villageCode":"500118901201","registrationType":"REGISTRATION_TYPE_HOUSEHOLD_REGISTERED"}""")]),
        ["contribution-calculation"] = ("medins.contribution.v1.ContributionCalculationService",
            [("ListPolicies", new Medins.Contribution.V1.ListPoliciesRequest()),
             ("QuoteContribution", new Medins.Contribution.V1.QuoteContributionRequest { CoverageYear = 2024 }),
             ("PublishPolicy", new Medins.Contribution.V1.PublishPolicyRequest { RequestId = "forged-policy", DocumentJson = "{}" })],
            [(HttpMethod.Get, "/v1/policies", null),
             (HttpMethod.Post, "/v1/quotes", """{"coverageYear":2024,"tier":2}"""),
             (HttpMethod.Post, "/v1/policies", """{"requestId":"forged-policy-json","documentJson":"{}"}""")]),
        ["payment-collection"] = ("medins.payment.v1.PaymentCollectionService",
            [("ListPaymentOrders", new ListPaymentOrdersRequest()),
             ("CreatePaymentOrder", new CreatePaymentOrderRequest { RequestId = "forged-order", CoverageYear = 2024, Channel = PaymentChannel.WechatPay }),
             ("ConfirmPayment", new ConfirmPaymentRequest { OrderId = "forged", ChannelTransactionId = "wx-forged-0001", AmountFen = 38000 })],
            [(HttpMethod.Get, "/v1/paymentOrders", null),
             (HttpMethod.Post, "/v1/paymentOrders", """{"requestId":"forged-order-json","coverageYear":2024,"channel":"PAYMENT_CHANNEL_WECHAT_PAY"}""")]),
        ["quota-tracking"] = ("medins.quota.v1.QuotaTrackingService",
            [("ListVillageProgress", new ListVillageProgressRequest { CoverageYear = 2024 }),
             ("ImportVillageTargets", new ImportVillageTargetsRequest { CoverageYear = 2024 })],
            [(HttpMethod.Get, "/v1/villageProgress/2024", null),
             (HttpMethod.Post, "/v1/villageTargets/2024:import", "{}")]),
        ["notification"] = ("medins.notification.v1.NotificationService",
            [("ListMessages", new Medins.Notification.V1.ListMessagesRequest()),
             ("PublishTemplate", new Medins.Notification.V1.PublishTemplateRequest())],
            [(HttpMethod.Get, "/v1/messages", null),
             (HttpMethod.Post, "/v1/templates", "{}")]),
    };

    /// <summary>Tables a refused call must leave as they were: the request log, the inbox and the service's own records.</summary>
    private static readonly Dictionary<string, string[]> Tables = new()
    {
        ["identity-registry"] = ["identity_registry.request_log", "identity_registry.residents", "identity_registry.inbox"],
        ["contribution-calculation"] = ["contribution_calculation.request_log", "contribution_calculation.policies"],
        ["payment-collection"] = ["payment_collection.request_log", "payment_collection.payment_orders", "payment_collection.payment_confirmations"],
        ["quota-tracking"] = ["quota_tracking.request_log", "quota_tracking.village_targets", "quota_tracking.inbox"],
        ["notification"] = ["notification.request_log", "notification.templates", "notification.inbox"],
    };

    public static TheoryData<string> Services => new(RunningPlatform.ServiceIds);

    [Theory]
    [MemberData(nameof(Services))]
    public async Task ServiceGrpcPort_ForgedTenantHeadersWithoutAssertion_IsUnauthenticatedAndWritesNothing(string appId)
    {
        var (service, calls, _) = Attacks[appId];
        var before = await CountRowsAsync(appId);
        foreach (var (method, request) in calls)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => CallRawAsync(appId, service, method, request, ForgedHeaders));
            Assert.True(ex.StatusCode == StatusCode.Unauthenticated, $"{appId} {method}: {ex.StatusCode} {ex.Status.Detail}");
            Assert.Equal(AssertionReasons.Missing, ReasonOf(ex));
        }
        Assert.Equal(before, await CountRowsAsync(appId));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task ServiceGrpcPort_AssertionSignedWithUntrustedKey_IsUnauthenticated(string appId)
    {
        // A perfect-looking gateway assertion for this very service, city scope and every role, signed with a key
        // the platform never trusted: what someone who can reach the port but holds no key could make.
        var forged = Forger().Issue("gateway", "demo-city", appId, Linjiang, Scopes.City, Roles.All);
        var (service, calls, _) = Attacks[appId];
        var before = await CountRowsAsync(appId);
        foreach (var (method, request) in calls)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() =>
                CallRawAsync(appId, service, method, request, [.. ForgedHeaders, (AssertionHeaders.Caller, forged)]));
            Assert.True(ex.StatusCode == StatusCode.Unauthenticated, $"{appId} {method}: {ex.StatusCode} {ex.Status.Detail}");
            Assert.StartsWith("CALLER_ASSERTION_", ReasonOf(ex));
        }
        Assert.Equal(before, await CountRowsAsync(appId));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task ServiceHttpPort_ForgedTenantHeadersWithoutAssertion_Gets401WithoutData(string appId)
    {
        var resident = await RegisterThroughGatewayAsync();
        using var http = new HttpClient { BaseAddress = new Uri(platform[appId].HttpAddress) };
        var before = await CountRowsAsync(appId);
        foreach (var (verb, path, body) in Attacks[appId].Http)
        {
            using var request = new HttpRequestMessage(verb, path);
            foreach (var (name, value) in ForgedHeaders) request.Headers.Add(name, value);
            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{appId} {verb} {path}: {(int)response.StatusCode} {text}");
            Assert.DoesNotContain(resident.ResidentId, text);
            Assert.DoesNotContain(resident.Name, text);
            Assert.DoesNotContain("500118", text);
        }
        Assert.Equal(before, await CountRowsAsync(appId));
    }

    [Fact]
    public async Task Residents_SameReadThroughGateway_Succeeds()
    {
        // The control for the refusals above: the gateway's caller assertion is what makes the difference.
        var resident = await RegisterThroughGatewayAsync();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{platform.Gateway.HttpAddress}/v1/residents/{resident.ResidentId}");
        request.Headers.Add("x-api-key", "demo-linjiang-key");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        Assert.Contains(resident.ResidentId, text);
    }

    [Fact]
    public async Task PaymentOrder_ForgedDirectConfirmation_IsRefusedAndStaysUnpaid()
    {
        var resident = await RegisterThroughGatewayAsync();
        var payments = new PaymentCollectionService.PaymentCollectionServiceClient(platform.GatewayChannel("demo-linjiang-key"));
        var order = (await payments.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = "trust-boundary-order",
            ResidentId = resident.ResidentId,
            CoverageYear = 2024,
            Channel = PaymentChannel.WechatPay,
        })).Order;
        var confirm = new ConfirmPaymentRequest { OrderId = order.OrderId, ChannelTransactionId = "wx-made-up-0001", AmountFen = order.PersonalAmountFen };

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            CallRawAsync("payment-collection", "medins.payment.v1.PaymentCollectionService", "ConfirmPayment", confirm, ForgedHeaders));
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);

        using var http = new HttpClient { BaseAddress = new Uri(platform["payment-collection"].HttpAddress) };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/paymentOrders/{order.OrderId}:confirm")
        {
            Content = new StringContent(
                $$"""{"channelTransactionId":"wx-made-up-0002","amountFen":"{{order.PersonalAmountFen}}"}""", Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in ForgedHeaders) request.Headers.Add(name, value);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        var after = (await payments.GetPaymentOrderAsync(new GetPaymentOrderRequest { OrderId = order.OrderId })).Order;
        Assert.Equal(OrderState.Created, after.State);
    }

    [Theory]
    [InlineData("identity-registry")]
    [InlineData("quota-tracking")]
    public async Task ContributionPaidEvent_ForgedDelivery_IsRefusedAndChangesNothing(string subscriber)
    {
        var resident = await RegisterThroughGatewayAsync();
        var linjiang = platform.GatewayChannel("demo-linjiang-key");
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(linjiang);
        var quota = new QuotaTrackingService.QuotaTrackingServiceClient(linjiang);
        var progressBefore = await ProgressAsync(quota, resident.VillageCode);
        var schema = subscriber.Replace('-', '_');
        var inboxBefore = await ScalarAsync($"SELECT count(*) FROM {schema}.inbox");

        // The issue's forgery: any id, a tenantid attribute, her resident id, 0 fen and no order.
        var paid = new ContributionPaid
        {
            TenantId = Linjiang,
            OrderId = "forged-order",
            ResidentId = resident.ResidentId,
            VillageCode = resident.VillageCode,
            CoverageYear = 2024,
            Tier = 1,
            PersonalAmountFen = 0,
            ChannelTransactionId = "forged",
        };
        using var http = new HttpClient { BaseAddress = new Uri(platform[subscriber].HttpAddress) };

        var body = CloudEventPoster.Envelope("contribution.paid", Linjiang, paid);
        var digest = AssertionCodec.Digest(body);
        // No assertion; payment-collection's name on a key nobody trusts; the real payment-collection key over other
        // bytes; a trusted service that may not publish contribution.paid.
        var untrusted = Forger("payment-collection").Issue("payment-collection", "payment-collection", subscriber, Linjiang, Scopes.Service, [], digest);
        var otherBody = TestAuth.Codec("payment-collection").Issue("payment-collection", "payment-collection", subscriber, Linjiang, Scopes.Service, [],
            AssertionCodec.Digest(CloudEventPoster.Envelope("contribution.paid", Linjiang, new ContributionPaid { TenantId = Linjiang })));
        var wrongPublisher = TestAuth.Codec("notification").Issue("notification", "notification", subscriber, Linjiang, Scopes.Service, [], digest);
        foreach (var (forgery, token, expected) in new[]
                 {
                     ("no assertion", (string?)null, HttpStatusCode.Unauthorized),
                     ("untrusted key", untrusted, HttpStatusCode.Unauthorized),
                     ("digest of another body", otherBody, HttpStatusCode.Unauthorized),
                     ("publisher not allowed", wrongPublisher, HttpStatusCode.Forbidden),
                 })
        {
            using var response = await CloudEventPoster.PostRawAsync(http, "contribution.paid", body, token,
                new Dictionary<string, string> { ["x-tenant-id"] = Linjiang });
            Assert.True(response.StatusCode == expected,
                $"{subscriber}, {forgery}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.Equal(inboxBefore, await ScalarAsync($"SELECT count(*) FROM {schema}.inbox"));
        var registered = (await identity.GetResidentAsync(new GetResidentRequest { ResidentId = resident.ResidentId })).Resident;
        Assert.DoesNotContain(registered.Enrolments, e => e.CoverageYear == 2024 && e.Status == EnrolmentStatus.Enrolled);
        Assert.Equal(progressBefore, await ProgressAsync(quota, resident.VillageCode));
    }

    [Fact]
    public async Task EveryProcess_ApiPorts_ListenOnLoopbackOnly()
    {
        var processes = RunningPlatform.ServiceIds.Append("gateway").Select(id => platform[id]).ToList();
        var listeners = ListeningSockets();
        foreach (var process in processes)
        {
            foreach (var port in PortsOf(process))
            {
                var bound = listeners.Where(l => l.Port == port).ToList();
                Assert.True(bound.Count > 0, $"{process.AppId}: nothing listens on {port}");
                Assert.True(bound.All(l => IPAddress.IsLoopback(l.Address) || IsMappedLoopback(l.Address)),
                    $"{process.AppId}: port {port} is bound to {string.Join(", ", bound.Select(l => l.Address))}");
            }
        }

        // And from the outside: this machine's other addresses reach none of those ports.
        foreach (var address in NonLoopbackAddresses())
        {
            foreach (var process in processes)
            {
                foreach (var port in PortsOf(process))
                    Assert.False(await ConnectsAsync(address, port), $"{process.AppId} answers on {address}:{port}");
            }
        }
    }

    [Fact]
    public async Task EveryProcess_MetricsPort_ServesMetricsAndProbesOnly()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        foreach (var process in RunningPlatform.ServiceIds.Append("gateway").Select(id => platform[id]))
        {
            var metrics = process.MetricsAddress ?? throw new InvalidOperationException($"{process.AppId} has no metrics port");
            using var scrape = await http.GetAsync(metrics + "/metrics");
            using var apiOnMetricsPort = await http.GetAsync(metrics + "/v1/residents");
            using var metricsOnApiPort = await http.GetAsync(process.HttpAddress + "/metrics");
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, apiOnMetricsPort.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, metricsOnApiPort.StatusCode);
        }
    }

    // ------------------------------------------------------------------ helpers

    private sealed record RegisteredResident(string ResidentId, string Name, string VillageCode);

    /// <summary>One Linjiang resident, registered through the gateway; the request id makes every call return her.</summary>
    private async Task<RegisteredResident> RegisterThroughGatewayAsync()
    {
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(platform.GatewayChannel("demo-linjiang-key"));
        var village = (await identity.ListDivisionsAsync(new ListDivisionsRequest { PageSize = 500 }))
            .Divisions.First(d => d.Level == DivisionLevel.Village);
        var resident = (await identity.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = "trust-boundary-resident",
            NationalId = NationalIds.Make("500118", new DateOnly(1968, 8, 9), 215),
            Name = "周桂兰",
            VillageCode = village.Code,
            RegistrationType = RegistrationType.HouseholdRegistered,
        })).Resident;
        return new RegisteredResident(resident.ResidentId, resident.Name, village.Code);
    }

    /// <summary>The village's 2024 counters; a village nobody has paid in yet may have none.</summary>
    private static async Task<(long Enrolled, long CollectedFen)> ProgressAsync(QuotaTrackingService.QuotaTrackingServiceClient quota, string village)
    {
        try
        {
            var progress = (await quota.GetVillageProgressAsync(new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = village })).Progress;
            return (progress.EnrolledCount, progress.CollectedAmountFen);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return (0, 0);
        }
    }

    private async Task<byte[]> CallRawAsync(string appId, string service, string method, IMessage request,
        IEnumerable<(string Name, string Value)> headers)
    {
        using var channel = GrpcChannel.ForAddress(platform[appId].GrpcAddress);
        var metadata = new Metadata();
        foreach (var (name, value) in headers) metadata.Add(name, value);
        var call = channel.CreateCallInvoker().AsyncUnaryCall(
            new Method<byte[], byte[]>(MethodType.Unary, service, method, Bytes, Bytes), null,
            new CallOptions(metadata, deadline: DateTime.UtcNow.AddSeconds(30)), request.ToByteArray());
        return await call.ResponseAsync;
    }

    private static string? ReasonOf(RpcException ex) => ex.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>()?.Reason;

    /// <summary>A codec with a fresh key that no process of the platform trusts, under a key id it might guess.</summary>
    private static AssertionCodec Forger(string issuer = "gateway")
    {
        var (privateKey, _) = AssertionCodec.GenerateKeyPair();
        return new AssertionCodec(new AuthOptions { SigningKey = privateKey, SigningKeyId = TestAuth.KeyId(issuer) }, TimeProvider.System);
    }

    private async Task<string> CountRowsAsync(string appId)
    {
        var counts = new List<string>();
        foreach (var table in Tables[appId]) counts.Add($"{table}={await ScalarAsync($"SELECT count(*) FROM {table}")}");
        return string.Join(", ", counts);
    }

    /// <summary>As the schemas' owner, past row-level security: what is really stored.</summary>
    private async Task<long> ScalarAsync(string sql)
    {
        await using var command = platform.Database.Owner.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>gRPC, HTTP and, when the process has one, its metrics port.</summary>
    private static IEnumerable<int> PortsOf(PlatformProcess process)
    {
        yield return process.GrpcPort;
        yield return process.HttpPort;
        if (process.MetricsAddress is { } metrics) yield return new Uri(metrics).Port;
    }

    private sealed record Listener(IPAddress Address, int Port);

    /// <summary>Listening TCP sockets of this network namespace, from /proc/net/tcp and tcp6 (state 0A = LISTEN).</summary>
    private static List<Listener> ListeningSockets()
    {
        var result = new List<Listener>();
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file)) continue;
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 4 || fields[3] != "0A") continue;
                var local = fields[1].Split(':');
                result.Add(new Listener(ParseProcAddress(local[0]), int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            }
        }
        return result;
    }

    /// <summary>/proc/net prints each 32-bit word of the address in host (little-endian) order.</summary>
    private static IPAddress ParseProcAddress(string hex)
    {
        var bytes = new byte[hex.Length / 2];
        for (var word = 0; word < bytes.Length / 4; word++)
        {
            for (var i = 0; i < 4; i++)
                bytes[word * 4 + i] = byte.Parse(hex.AsSpan(word * 8 + (3 - i) * 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        return new IPAddress(bytes);
    }

    private static bool IsMappedLoopback(IPAddress address) => address.IsIPv4MappedToIPv6 && IPAddress.IsLoopback(address.MapToIPv4());

    private static IEnumerable<IPAddress> NonLoopbackAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(a => a.Address))
            .Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal)
            .Distinct();

    private static async Task<bool> ConnectsAsync(IPAddress address, int port)
    {
        using var client = new TcpClient(address.AddressFamily);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await client.ConnectAsync(address, port, timeout.Token);
            return true;
        }
        catch (SocketException) { return false; }
        catch (OperationCanceledException) { return false; }
    }
}
