using System.Net;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Medins.IdentityRegistry.Tests;

/// <summary>
/// The shared request log (Platform.Hosting's RequestLoggingMiddleware) as a real service writes it: one
/// Information line per gRPC call, JSON call and event delivery, and framework categories quiet at Warning.
/// </summary>
public sealed class RequestLoggingTests : IAsyncLifetime
{
    private const string Tenant = "cq-linjiang";
    private const string Gaotan = "500118901201"; // Linjiang's 高滩村 in the demo city (seed 002 §6)
    private static readonly string RequestCategory = typeof(RequestLoggingMiddleware).FullName!;

    private readonly LogCapture _logs = new();
    private TestDatabase _db = null!;
    private ServiceHost<Program> _host = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _host = new ServiceHost<Program>(_db, "identity-registry",
            services: s => s.AddSingleton<ILoggerProvider>(_logs));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _db.DisposeAsync();
    }

    private IdentityRegistryService.IdentityRegistryServiceClient Client() => new(_host.Channel(Tenant));

    private async Task<Resident> RegisterAsync(string requestId, int sequence) =>
        (await Client().RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = requestId,
            NationalId = TestIds.Make("500118", new DateOnly(1981, 3, 9), sequence),
            Name = "李四",
            VillageCode = Gaotan,
        })).Resident;

    private Task<IReadOnlyList<CapturedLogEntry>> RequestLinesAsync(string route, int count = 1) =>
        _logs.WaitForAsync(e => e.Category == RequestCategory && Equals(e.Fields["Route"], route), count);

    [Fact]
    public async Task RequestLog_GrpcCall_OneInformationLineWithMethodStatusRequestIdAndTenant()
    {
        await RegisterAsync("log-grpc-1", 401);

        var line = Assert.Single(await RequestLinesAsync("/medins.identity.v1.IdentityRegistryService/RegisterResident"));
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Equal("grpc", line.Fields["Protocol"]);
        Assert.Equal(200, line.Fields["Status"]);
        Assert.Equal(0, line.Fields["GrpcStatus"]);
        Assert.Equal("log-grpc-1", line.Fields["RequestId"]);
        Assert.Equal(Tenant, line.Fields["Tenant"]);
        Assert.IsType<double>(line.Fields["DurationMs"]);
    }

    [Fact]
    public async Task RequestLog_RefusedGrpcCall_LogsTheGrpcStatus()
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => Client().RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = "log-grpc-bad",
            NationalId = "not-a-national-id",
            Name = "李四",
            VillageCode = Gaotan,
        }).ResponseAsync);

        var line = Assert.Single(await RequestLinesAsync("/medins.identity.v1.IdentityRegistryService/RegisterResident"));
        Assert.Equal((int)refused.StatusCode, line.Fields["GrpcStatus"]);
        Assert.Equal((int)StatusCode.InvalidArgument, line.Fields["GrpcStatus"]);
        Assert.Equal("log-grpc-bad", line.Fields["RequestId"]);
    }

    [Fact]
    public async Task RequestLog_JsonCall_LogsRouteRpcAndStatus()
    {
        var resident = await RegisterAsync("log-json-1", 402);
        using var http = _host.JsonClient(Tenant);

        using var found = await http.GetAsync($"/v1/residents/{resident.ResidentId}");
        using var missing = await http.GetAsync($"/v1/residents/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        var lines = await RequestLinesAsync("/v1/residents/{resident_id}", count: 2);
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal("http", l.Fields["Protocol"]));
        Assert.All(lines, l => Assert.Equal("/medins.identity.v1.IdentityRegistryService/GetResident", l.Fields["Rpc"]));
        Assert.All(lines, l => Assert.Equal(Tenant, l.Fields["Tenant"]));
        Assert.Equal([200, (int)missing.StatusCode], lines.Select(l => l.Fields["Status"]).Order().ToArray());
        Assert.Equal([0, (int)StatusCode.NotFound], lines.Select(l => l.Fields["GrpcStatus"]).Order().ToArray());
    }

    [Fact]
    public async Task RequestLog_EventDelivery_LogsTopicEventIdAndTenant()
    {
        var resident = await RegisterAsync("log-event-1", 403);
        var eventId = Guid.NewGuid();
        var paid = new ContributionPaid
        {
            TenantId = Tenant,
            OrderId = "order-log-1",
            ResidentId = resident.ResidentId,
            VillageCode = Gaotan,
            CoverageYear = 2024,
            Tier = 1,
            PersonalAmountFen = 38000, // Chongqing tier 1, 380 yuan (seed 000 §2)
            PaidTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2023, 11, 20, 1, 0, 0, TimeSpan.Zero)),
            BenefitStartDate = new Google.Type.Date { Year = 2024, Month = 1, Day = 1 },
            BenefitEndDate = new Google.Type.Date { Year = 2024, Month = 12, Day = 31 },
        };

        using var http = _host.CreateClient();
        using var response = await CloudEventPoster.PostAsync(http, EventTopics.ContributionPaid, Tenant, paid, eventId);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var line = Assert.Single(await RequestLinesAsync($"/events/{EventTopics.ContributionPaid}"));
        Assert.Equal("event", line.Fields["Protocol"]);
        Assert.Equal(200, line.Fields["Status"]);
        Assert.Equal(eventId.ToString(), line.Fields["RequestId"]);
        Assert.Equal(Tenant, line.Fields["Tenant"]);
    }

    [Fact]
    public async Task RequestLog_HealthProbe_IsNotLoggedAtInformation()
    {
        using var http = _host.CreateClient();
        using var response = await http.GetAsync("/healthz");
        await RegisterAsync("log-after-probe", 404); // a line that surely comes after the probe's

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await RequestLinesAsync("/medins.identity.v1.IdentityRegistryService/RegisterResident");
        Assert.DoesNotContain(_logs.Entries, e => e.Category == RequestCategory && Equals(e.Fields["Route"], "/healthz"));
    }

    [Fact]
    public void FrameworkCategories_ByDefault_LogWarningsOnly()
    {
        var factory = _host.Services.GetRequiredService<ILoggerFactory>();

        foreach (var category in new[] { "System.Net.Http.HttpClient.IdentityRegistryServiceClient.LogicalHandler",
                     "Microsoft.AspNetCore.Hosting.Diagnostics", "Grpc.AspNetCore.Server.ServerCallHandler", "Grpc.Net.Client.Internal.GrpcCall" })
        {
            var logger = factory.CreateLogger(category);
            Assert.False(logger.IsEnabled(LogLevel.Information), category);
            Assert.True(logger.IsEnabled(LogLevel.Warning), category);
        }
        Assert.True(factory.CreateLogger(RequestCategory).IsEnabled(LogLevel.Information));
    }

    [Fact]
    public async Task FrameworkCategories_ConfiguredPerCategory_OverrideTheDefault()
    {
        await using var verbose = new ServiceHost<Program>(_db, "identity-registry",
            new Dictionary<string, string?> { ["Logging:LogLevel:System.Net.Http"] = "Information" });

        var factory = verbose.Services.GetRequiredService<ILoggerFactory>();

        Assert.True(factory.CreateLogger("System.Net.Http.HttpClient.X.LogicalHandler").IsEnabled(LogLevel.Information));
        Assert.False(factory.CreateLogger("Grpc.Net.Client.Internal.GrpcCall").IsEnabled(LogLevel.Information));
    }
}
