using Medins.Notification.Campaigns;
using Medins.Notification.Channels;
using Medins.Notification.Delivery;
using Medins.Notification.Events;
using Medins.Notification.Messages;

namespace Medins.Notification;

public static class NotificationRegistration
{
    /// <summary>Message creation, the dispatcher and its job, campaigns, the event handlers and the registry client.</summary>
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
        return builder;
    }
}
