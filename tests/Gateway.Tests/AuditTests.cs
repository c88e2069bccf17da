using Grpc.Core;
using Medins.Gateway.Tests.Infrastructure;
using Medins.Identity.V1;
using Medins.Platform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Medins.Gateway.Tests;

/// <summary>The audit line the gateway writes per call, read from a capturing logger.</summary>
public sealed class AuditTests(AuditTests.Fixture fixture) : IClassFixture<AuditTests.Fixture>
{
    public sealed class Fixture : GatewayFixture
    {
        public LogCapture Logs { get; } = new();

        protected override void ConfigureServices(IServiceCollection services) =>
            services.AddSingleton<ILoggerProvider>(Logs);
    }

    /// <summary>
    /// The one audit line that matches. The gateway writes it when the call ends on its side, which can be just after
    /// a gRPC client has read the trailers, so it is waited for (up to 10 s) rather than expected at once.
    /// </summary>
    private async Task<CapturedLogEntry> AuditLineAsync(Func<CapturedLogEntry, bool> matches)
    {
        await fixture.Logs.WaitForAsync(IsLine);
        return Assert.Single(fixture.Logs.Entries, IsLine);

        bool IsLine(CapturedLogEntry e) => e.EventName == "GatewayCall" && matches(e);
    }

    [Fact]
    public async Task ListResidents_TenantKey_OneAuditLineWithCallerAndOutcomeWithoutKey()
    {
        await fixture.Identity.ListResidentsAsync(new ListResidentsRequest(), new Metadata { { "x-api-key", "demo-gaoyang-key" } });

        var line = await AuditLineAsync(e => Equals(e.Fields["Client"], "demo-gaoyang"));
        Assert.Equal("tenant", line.Fields["Scope"]);
        Assert.Equal("he-gaoyang", line.Fields["Tenant"]);
        Assert.Equal("/medins.identity.v1.IdentityRegistryService/ListResidents", line.Fields["Path"]);
        Assert.Equal("grpc", line.Fields["Protocol"]);
        Assert.Equal(0, line.Fields["GrpcStatus"]);
        Assert.Equal("ok", line.Fields["Outcome"]);
        Assert.IsType<double>(line.Fields["DurationMs"]);
        Assert.DoesNotContain(fixture.Logs.Entries, e => e.Message.Contains("demo-gaoyang-key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetResident_WrongKeyOverJson_AuditLineWithReasonWithoutKey()
    {
        const string wrongKey = "leaked-looking-secret-123";
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/residents/r-1");
        request.Headers.Add("x-api-key", wrongKey);
        (await fixture.Http.SendAsync(request)).Dispose();

        var line = await AuditLineAsync(e => Equals(e.Fields["Reason"], "CREDENTIAL_INVALID"));
        Assert.Equal("none", line.Fields["Scope"]);
        Assert.Equal(401, line.Fields["Status"]);
        Assert.Equal("unauthenticated", line.Fields["Outcome"]);
        Assert.DoesNotContain(fixture.Logs.Entries, e => e.Message.Contains(wrongKey, StringComparison.Ordinal)
            || e.Fields.Values.Any(v => v?.ToString()?.Contains(wrongKey, StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task ServerReflection_TenantKey_OneAuditLineWithCallerAndOutcome()
    {
        await ReflectionCalls.AskAsync(fixture.Channel, ReflectionCalls.V1,
            new Grpc.Reflection.V1.ServerReflectionRequest { ListServices = "" }, "demo-meishan-dongpo-key");

        var line = await AuditLineAsync(e => Equals(e.Fields["Client"], "demo-meishan-dongpo"));
        Assert.Equal("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", line.Fields["Path"]);
        Assert.Equal("sc-meishan-dongpo", line.Fields["Tenant"]);
        Assert.Equal(0, line.Fields["GrpcStatus"]);
        Assert.Equal("ok", line.Fields["Outcome"]);
    }
}
