using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Reflection.V1;
using Medins.Gateway.Routing;
using Medins.Gateway.Tests.Infrastructure;

namespace Medins.Gateway.Tests;

/// <summary>
/// gRPC server reflection through the gateway's h2c port, as grpcurl uses it: v1 and v1alpha (the same messages on
/// the wire under two service names), answered by the gateway from the contracts, after the credential check.
/// </summary>
public sealed class ReflectionTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string V1 = ReflectionCalls.V1;
    private const string V1Alpha = ReflectionCalls.V1Alpha;

    /// <summary>What a county system may call through the gateway (the five backends' public gRPC services).</summary>
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

    private Task<ServerReflectionResponse> AskAsync(string service, ServerReflectionRequest request, string? apiKey = GatewayFixture.LiduKey) =>
        ReflectionCalls.AskAsync(fixture.Channel, service, request, apiKey);

    private static Dictionary<string, FileDescriptorProto> Files(ServerReflectionResponse response)
    {
        Assert.Equal(ServerReflectionResponse.MessageResponseOneofCase.FileDescriptorResponse, response.MessageResponseCase);
        return response.FileDescriptorResponse.FileDescriptorProto.Select(FileDescriptorProto.Parser.ParseFrom).ToDictionary(f => f.Name);
    }

    [Theory]
    [InlineData(V1)]
    [InlineData(V1Alpha)]
    public async Task ListServices_TenantKey_ExactlyThePublicServices(string version)
    {
        var response = await AskAsync(version, new ServerReflectionRequest { ListServices = "" });

        var listed = response.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Equal(PublicServices.Order(), listed.Order());
        // The catalog routes exactly these; nothing internal (health, the services' reflection) is offered.
        Assert.Equal(ServiceCatalog.Services.SelectMany(s => s.GrpcServices).Order(), listed.Order());
    }

    [Theory]
    [InlineData(V1)]
    [InlineData(V1Alpha)]
    public async Task FileContainingSymbol_PaymentCollectionService_FileWithEveryImport(string version)
    {
        var files = Files(await AskAsync(version,
            new ServerReflectionRequest { FileContainingSymbol = "medins.payment.v1.PaymentCollectionService" }));

        var service = Assert.Single(files["medins/payment/v1/payment_collection_service.proto"].Service);
        Assert.Equal("PaymentCollectionService", service.Name);
        Assert.Contains(service.Method, m => m.Name == "CreatePaymentOrder");
        Assert.Contains("google/api/annotations.proto", files.Keys);
        Assert.Contains("google/api/http.proto", files.Keys);
        Assert.Contains("google/type/date.proto", files.Keys);
        Assert.Contains("medins/auth/v1/access.proto", files.Keys);
        // Closed under imports: a client can build every message from this answer alone.
        Assert.All(files.Values, f => Assert.All(f.Dependency, d => Assert.Contains(d, files.Keys)));
    }

    [Theory]
    [InlineData(V1)]
    [InlineData(V1Alpha)]
    public async Task FileContainingSymbol_GoogleRpcErrorInfo_ErrorDetailsDescribed(string version)
    {
        var files = Files(await AskAsync(version, new ServerReflectionRequest { FileContainingSymbol = "google.rpc.ErrorInfo" }));

        Assert.Contains(files["google/rpc/error_details.proto"].MessageType, m => m.Name == "ErrorInfo");
    }

    [Theory]
    [InlineData(V1, "medins.payment.v1.ErrorReason", "medins/payment/v1/error_reason.proto")]
    [InlineData(V1Alpha, "medins.platform.v1.ErrorReason", "medins/platform/v1/error_reason.proto")]
    [InlineData(V1, "medins.gateway.v1.ErrorReason", "medins/gateway/v1/error_reason.proto")]
    public async Task FileContainingSymbol_ErrorReasonEnum_EveryReasonCodeDescribed(string version, string symbol, string file)
    {
        var files = Files(await AskAsync(version, new ServerReflectionRequest { FileContainingSymbol = symbol }));

        var reasons = Assert.Single(files[file].EnumType, e => e.Name == "ErrorReason");
        Assert.Contains(reasons.Value, v => v.Name == "ERROR_REASON_UNSPECIFIED" && v.Number == 0);
        Assert.True(reasons.Value.Count > 5, $"{symbol} describes only {reasons.Value.Count} values");
    }

    [Theory]
    [InlineData(V1, "google/type/date.proto")]
    [InlineData(V1Alpha, "google/rpc/status.proto")]
    public async Task FileByFilename_GoogleDependency_Described(string version, string name)
    {
        var files = Files(await AskAsync(version, new ServerReflectionRequest { FileByFilename = name }));

        Assert.Contains(name, files.Keys);
    }

    [Theory]
    [InlineData(V1, "grpc.health.v1.Health")]
    [InlineData(V1, "grpc.reflection.v1.ServerReflection")]
    [InlineData(V1Alpha, "medins.identity.v1.ResidentRegistered")]
    public async Task FileContainingSymbol_NotAPublicContract_NotFound(string version, string symbol)
    {
        var response = await AskAsync(version, new ServerReflectionRequest { FileContainingSymbol = symbol });

        Assert.Equal((int)StatusCode.NotFound, response.ErrorResponse.ErrorCode);
    }

    [Theory]
    [InlineData(V1)]
    [InlineData(V1Alpha)]
    public async Task ListServices_NoCredential_UnauthenticatedCredentialMissing(string version)
    {
        var reason = await Expect.RpcErrorAsync(StatusCode.Unauthenticated,
            () => AskAsync(version, new ServerReflectionRequest { ListServices = "" }, apiKey: null));

        Assert.Equal("CREDENTIAL_MISSING", reason);
    }

    [Fact]
    public async Task ListServices_WrongKey_UnauthenticatedCredentialInvalid()
    {
        var reason = await Expect.RpcErrorAsync(StatusCode.Unauthenticated,
            () => AskAsync(V1, new ServerReflectionRequest { ListServices = "" }, apiKey: "demo-lidu-key-wrong"));

        Assert.Equal("CREDENTIAL_INVALID", reason);
    }

    [Fact]
    public async Task ListServices_CityKey_Listed()
    {
        var response = await AskAsync(V1, new ServerReflectionRequest { ListServices = "" }, GatewayFixture.CityKey);

        Assert.Equal(PublicServices.Length, response.ListServicesResponse.Service.Count);
    }
}
