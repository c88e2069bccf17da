using System.Globalization;
using System.Net;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Medins.Platform.Hosting.Security;
using Medins.Platform.Testing;

namespace Medins.EndToEnd.Tests;

/// <summary>
/// The running platform as someone who reaches a service's ports without going through the gateway sees it: every
/// process listens on loopback only, headers make nobody a tenant, forged events apply nothing, and the metrics
/// port serves metrics only.
/// </summary>
[Collection("platform processes")]
public sealed class DirectAccessTests(RunningPlatform platform) : IClassFixture<RunningPlatform>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    // One read and one write per service, as gRPC method and JSON route.
    public static readonly TheoryData<string, string, string, string> Routes = new()
    {
        { "identity-registry", "/medins.identity.v1.IdentityRegistryService/ListResidents", "GET", "/v1/residents" },
        { "identity-registry", "/medins.identity.v1.IdentityRegistryService/RegisterResident", "POST", "/v1/residents" },
        { "contribution-calculation", "/medins.contribution.v1.ContributionCalculationService/PublishPolicy", "POST", "/v1/policies" },
        { "payment-collection", "/medins.payment.v1.PaymentCollectionService/CreatePaymentOrder", "POST", "/v1/paymentOrders" },
        { "payment-collection", "/medins.payment.v1.PaymentCollectionService/ConfirmPayment", "POST", $"/v1/paymentOrders/{Guid.Empty}:confirm" },
        { "quota-tracking", "/medins.quota.v1.QuotaTrackingService/GetVillageProgress", "GET", "/v1/villageProgress/2024/500118901201" },
        { "notification", "/medins.notification.v1.NotificationService/ListMessages", "GET", "/v1/messages" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task ServicePort_ForgedTenantHeadersNoAssertion_UnauthenticatedOverGrpcAnd401OverJson(string appId, string grpcMethod,
        string httpMethod, string route)
    {
        var process = platform[appId];
        var parts = grpcMethod.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var raw = new Method<byte[], byte[]>(MethodType.Unary, parts[0], parts[1], Bytes, Bytes);
        using var channel = GrpcChannel.ForAddress(process.GrpcAddress);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.CreateCallInvoker()
            .AsyncUnaryCall(raw, null, new CallOptions(ForgedCalls.Metadata(), DateTime.UtcNow.AddSeconds(30)), []).ResponseAsync);
        using var request = new HttpRequestMessage(new HttpMethod(httpMethod), process.HttpAddress + route);
        foreach (var (name, value) in ForgedCalls.Headers) request.Headers.Add(name, value);
        if (httpMethod == "POST") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var response = await Http.SendAsync(request);

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Equal(AssertionReasons.Missing, Platform.Hosting.RpcErrors.ReasonOf(ex));
        await ForgedCalls.AssertRefusedAsync(response, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
    }

    [Theory]
    [InlineData("identity-registry", "identity_registry")]
    [InlineData("quota-tracking", "quota_tracking")]
    [InlineData("notification", "notification")]
    public async Task SubscriberPort_ForgedContributionPaid_401AndNothingApplied(string appId, string schema)
    {
        var paid = new Medins.Payment.V1.ContributionPaid
        {
            TenantId = "cq-linjiang",
            OrderId = Guid.NewGuid().ToString(),
            ResidentId = Guid.NewGuid().ToString(),
            VillageCode = "500118901201",
            CoverageYear = 2024,
            PersonalAmountFen = 0,
        };
        var eventId = Guid.NewGuid();
        var body = CloudEventPoster.Envelope(EventTopics.ContributionPaid, "cq-linjiang", paid, eventId);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{platform[appId].HttpAddress}/events/{EventTopics.ContributionPaid}")
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new("application/cloudevents+json");

        using var response = await Http.SendAsync(request);

        await ForgedCalls.AssertRefusedAsync(response, HttpStatusCode.Unauthorized, AssertionReasons.Missing);
        await using var inbox = platform.Database.Owner.CreateCommand($"SELECT count(*) FROM {schema}.inbox WHERE event_id = $1");
        inbox.Parameters.Add(new() { Value = eventId });
        Assert.Equal(0L, await inbox.ExecuteScalarAsync());
    }

    [Fact]
    public async Task EveryProcess_ListeningSockets_LoopbackOnlyWithMetricsOnTheirOwnPort()
    {
        var listening = ListeningSockets();
        foreach (var appId in RunningPlatform.ServiceIds.Append("gateway"))
        {
            var process = platform[appId];
            var metrics = process.MetricsAddress!;
            foreach (var port in new[] { process.GrpcPort, process.HttpPort, new Uri(metrics).Port })
            {
                var bound = listening.Where(s => s.Port == port).ToList();
                Assert.True(bound.Count > 0, $"{appId} does not listen on {port}");
                Assert.All(bound, s => Assert.True(s.Loopback, $"{appId} listens on {s.Address}:{port}"));
            }
            using var scrape = await Http.GetAsync(metrics + "/metrics");
            using var apiOnMetricsPort = await Http.GetAsync(metrics + "/v1/residents");
            using var metricsOnHttpPort = await Http.GetAsync(process.HttpAddress + "/metrics");
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, apiOnMetricsPort.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, metricsOnHttpPort.StatusCode);
        }
    }

    /// <summary>Listening TCP sockets from /proc/net/tcp and tcp6 (what `ss -ltn` reads).</summary>
    private static List<(string Address, int Port, bool Loopback)> ListeningSockets()
    {
        var sockets = new List<(string, int, bool)>();
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file)) continue;
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 4 || fields[3] != "0A") continue; // 0A: LISTEN
                var local = fields[1].Split(':');
                var address = local[0];
                var port = int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                // 127.0.0.1 as /proc writes it, or ::1, or ::ffff:127.0.0.1.
                var loopback = address is "0100007F" or "00000000000000000000000001000000" or "0000000000000000FFFF00000100007F";
                sockets.Add((address, port, loopback));
            }
        }
        return sockets;
    }

    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);
}
