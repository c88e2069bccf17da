using Medins.Identity.V1;
using Medins.Notification.Campaigns;
using Medins.Notification.Channels;
using Medins.Notification.Delivery;
using Medins.Notification.Events;
using Medins.Notification.Messages;
using Medins.Quota.V1;

namespace Medins.Notification;

public static class NotificationRegistration
{
    /// <summary>Message creation, the dispatcher and its job, campaigns, the event handlers and the registry and quota clients.</summary>
    public static WebApplicationBuilder AddNotificationDelivery(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<DispatcherOptions>(builder.Configuration.GetSection("Notification:Dispatcher"));
        services.AddSingleton<MessageWriter>();
        services.AddSingleton<DeliveryStore>();
        services.AddSingleton<IDeliveryReceiptSink>(sp => sp.GetRequiredService<DeliveryStore>());
        services.AddSingleton<ResidentDirectory>();
        services.AddSingleton<Dispatcher>();
        services.AddSingleton<CampaignRunner>();
        services.AddHostedService<DispatchJob>();
        services.AddSingleton<ContributionPaidHandler>();
        services.AddSingleton<ContributionRefundedHandler>();
        services.AddSingleton<OfficialAlerts>();
        services.AddSingleton<QuotaBehindScheduleHandler>();
        services.AddSingleton<CashUnremittedHandler>();
        services.AddSingleton<QuotaBulletins>();
        services.AddSingleton<WeeklySnapshotHandler>();
        // No tenant propagation: background work and event handling have no caller, so every call names its tenant itself.
        services.AddGrpcClient<IdentityRegistryService.IdentityRegistryServiceClient>((sp, o) => o.Address = new Uri(
            sp.GetRequiredService<IConfiguration>()["Services:identity-registry:Grpc"] ?? "http://identity-registry:8080"));
        services.AddGrpcClient<QuotaTrackingService.QuotaTrackingServiceClient>((sp, o) => o.Address = new Uri(
            sp.GetRequiredService<IConfiguration>()["Services:quota-tracking:Grpc"] ?? "http://quota-tracking:8080"));
        return builder;
    }
}
