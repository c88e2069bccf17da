using Google.Protobuf.Reflection;
using Grpc.Reflection;
using Medins.Gateway.Routing;

namespace Medins.Gateway.Reflection;

/// <summary>
/// gRPC server reflection (<c>grpc.reflection.v1</c> and <c>v1alpha</c>) answered by the gateway itself from the
/// contracts it routes, so a county system lists, describes and calls the public services through the gateway
/// (grpcurl and the like) without the .proto files. It lists exactly the services of <see cref="ServiceCatalog"/>:
/// not the services' own reflection or health, nor the gateway's. A description carries every file the contract
/// imports (google/api, google/type, medins/auth), and google/rpc's status and error details are described too, so
/// a client can decode <c>grpc-status-details-bin</c> with nothing but what reflection gave it, and so are the
/// <c>ErrorReason</c> enums that declare every reason code (the services', the shared hosting's, the gateway's). Callers authenticate
/// as on every route (the endpoints are <see cref="GatewayEndpoint.ServedHere"/>).
/// </summary>
public static class ContractReflection
{
    /// <summary>The fully-qualified names of the public gRPC services, in catalog order.</summary>
    public static IReadOnlyList<string> ServiceNames { get; } =
        ServiceCatalog.Services.SelectMany(s => s.GrpcServices).ToList();

    /// <summary>Every file reflection answers with: the services' files and their imports, google/rpc's errors and
    /// the reason enums.</summary>
    public static SymbolRegistry Symbols { get; } = SymbolRegistry.FromFiles(
        ServiceCatalog.Services.SelectMany(s => s.Descriptors).Select(d => d.File)
            .Concat([Google.Rpc.StatusReflection.Descriptor, Google.Rpc.ErrorDetailsReflection.Descriptor,
                Google.Rpc.CodeReflection.Descriptor])
            .Concat([Medins.Identity.V1.ErrorReasonReflection.Descriptor, Medins.Contribution.V1.ErrorReasonReflection.Descriptor,
                Medins.Payment.V1.ErrorReasonReflection.Descriptor, Medins.Quota.V1.ErrorReasonReflection.Descriptor,
                Medins.Notification.V1.ErrorReasonReflection.Descriptor, Medins.Platform.V1.ErrorReasonReflection.Descriptor,
                Medins.Gateway.V1.ErrorReasonReflection.Descriptor])
            .Distinct());

    public static IServiceCollection AddContractReflection(this IServiceCollection services)
    {
        // The gateway serves no other gRPC service: an unknown one must still reach its NOT_FOUND fallback
        // (ROUTE_NOT_FOUND), not gRPC's own UNIMPLEMENTED catch-all.
        services.AddGrpc(o => o.IgnoreUnknownServices = true);
        services.AddSingleton(new ReflectionV1ServiceImpl(ServiceNames, Symbols));
        services.AddSingleton(new ReflectionServiceImpl(ServiceNames, Symbols));
        return services;
    }

    public static WebApplication MapContractReflection(this WebApplication app)
    {
        app.MapGrpcService<ReflectionV1ServiceImpl>().WithMetadata(GatewayEndpoint.ServedHere);
        app.MapGrpcService<ReflectionServiceImpl>().WithMetadata(GatewayEndpoint.ServedHere);
        return app;
    }
}
