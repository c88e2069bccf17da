using System.Diagnostics;
using System.Text.Json;
using Medins.Identity.V1;
using Xunit.Abstractions;

namespace Medins.EndToEnd.Tests;

/// <summary>
/// A county system that is not ours: tests/Interop/interop.mjs (grpc-js, no generated C#, no .proto file of the
/// repository) learns the contracts by gRPC reflection through the gateway and walks the payment path with them,
/// against the real processes. tests/Interop/run.sh installs node and the pinned npm packages when missing.
/// </summary>
[Collection("platform processes")]
public sealed class InteropClientTests(RunningPlatform platform, ITestOutputHelper output) : IClassFixture<RunningPlatform>
{
    /// <summary>The public gRPC services of the five backends, as the gateway routes them.</summary>
    private static readonly string[] PublicServices =
    [
        "medins.identity.v1.IdentityRegistryService",
        "medins.contribution.v1.ContributionCalculationService",
        "medins.payment.v1.PaymentCollectionService",
        "medins.payment.v1.VillageCashService",
        "medins.payment.v1.ReconciliationService",
        "medins.quota.v1.QuotaTrackingService",
        "medins.notification.v1.NotificationService",
    ];

    [Fact]
    public async Task GrpcJsClient_ContractsByReflectionThroughGateway_RegistersPaysAndReadsEnrolmentAndErrorReason()
    {
        var result = await RunInteropClientAsync("demo-linjiang-key");

        // Listed and described by reflection: the public services, with the google dependencies they import and
        // google.rpc's error details.
        var services = result.GetProperty("services").EnumerateArray().Select(s => s.GetString()!).ToList();
        Assert.Equal(PublicServices.Order(), services.Order());
        var files = result.GetProperty("describedFiles").EnumerateArray().Select(f => f.GetString()!).ToList();
        Assert.Contains("google/api/annotations.proto", files);
        Assert.Contains("google/type/date.proto", files);
        Assert.Contains("google/rpc/error_details.proto", files);

        // The walking path: Linjiang's tier 1, 380 yuan (seed 002 takes seed 000's tiers), paid and enrolled.
        Assert.Equal("38000", result.GetProperty("quotePersonalAmountFen").GetString());
        Assert.Equal("ORDER_STATE_PAID", result.GetProperty("orderState").GetString());
        Assert.Equal("ENROLMENT_STATUS_ENROLLED", result.GetProperty("enrolmentStatus").GetString());
        var orderId = result.GetProperty("orderId").GetString();
        Assert.Equal(orderId, result.GetProperty("enrolmentOrderId").GetString());

        // Errors as a client reads them from grpc-status-details-bin: the reason, not only the code.
        Assert.Equal(3, result.GetProperty("error").GetProperty("code").GetInt32()); // INVALID_ARGUMENT
        Assert.Equal("INVALID_NATIONAL_ID", result.GetProperty("error").GetProperty("reason").GetString());
        Assert.Equal(16, result.GetProperty("reflectionWithoutKey").GetProperty("code").GetInt32()); // UNAUTHENTICATED
        Assert.Equal("CREDENTIAL_MISSING", result.GetProperty("reflectionWithoutKey").GetProperty("reason").GetString());

        // What the client reported is what the platform holds, read back with our own stubs.
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(platform.GatewayChannel("demo-linjiang-key"));
        var resident = (await identity.GetResidentAsync(new GetResidentRequest
        {
            ResidentId = result.GetProperty("residentId").GetString(),
        })).Resident;
        var enrolment = Assert.Single(resident.Enrolments, e => e.CoverageYear == 2024);
        Assert.Equal(EnrolmentStatus.Enrolled, enrolment.Status);
        Assert.Equal(orderId, enrolment.OrderId);
    }

    private async Task<JsonElement> RunInteropClientAsync(string apiKey)
    {
        var script = Path.Combine(RepositoryRoot(), "tests", "Interop", "run.sh");
        var info = new ProcessStartInfo("bash", $"\"{script}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["MEDINS_GATEWAY"] = $"127.0.0.1:{platform.Gateway.GrpcPort}";
        info.Environment["MEDINS_API_KEY"] = apiKey;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // npm ci on a fresh machine, then a walk that waits for an event: generous, but bounded.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the interop client did not finish in 5 minutes:\n{await stderr}");
        }
        Assert.True(process.ExitCode == 0, $"the interop client failed ({process.ExitCode}):\n{await stderr}\n{await stdout}");
        var last = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        output.WriteLine(last);
        return JsonDocument.Parse(last).RootElement.Clone();
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Platform.sln not found above the test assembly.");
    }
}
