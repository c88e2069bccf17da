using Grpc.AspNetCore.Server;

namespace Medins.PaymentCollection.Reconciliation;

public static class ReconciliationHosting
{
    /// <summary>Statement imports and discrepancy resolutions, and the open-discrepancy gauge.</summary>
    public static IServiceCollection AddReconciliation(this IServiceCollection services)
    {
        services.AddScoped<Reconciliations>();
        services.AddHostedService<OpenDiscrepancyGauge>();
        // A statement file rides in one message: room for the largest file and the message's other fields.
        // Options only: AddGrpc() belongs to the platform defaults, which bind every method with a decode guard.
        services.Configure<GrpcServiceOptions<ReconciliationGrpcService>>(o =>
            o.MaxReceiveMessageSize = ReconciliationGrpcService.MaxContentBytes + 64 * 1024);
        return services;
    }
}
