using Medins.Notification.Campaigns;
using Medins.Notification.Channels;
using Medins.Notification.Data;
using Medins.Notification.Delivery;
using Medins.Notification.Events;
using Medins.Notification.Jobs;
using Medins.Notification.Messages;
using Medins.Quota.V1;

namespace Medins.Notification;

public static class NotificationRegistration
{
    /// <summary>Message creation, the dispatcher and its job, campaigns and the event handlers.</summary>
    public static WebApplicationBuilder AddNotificationDelivery(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<DispatcherOptions>(builder.Configuration.GetSection("Notification:Dispatcher"));
        services.AddSingleton<MessageWriter>();
        services.AddSingleton<DeliveryStore>();
        services.AddSingleton<IDeliveryReceiptSink>(sp => sp.GetRequiredService<DeliveryStore>());
        services.AddSingleton<IWeChatBindings>(sp => sp.GetRequiredService<DeliveryStore>());
        services.AddSingleton<IReplyOptOuts>(sp => sp.GetRequiredService<DeliveryStore>());
        services.AddSingleton<ResidentDirectory>();
        services.AddSingleton<AddressHasher>();
        services.AddSingleton<Dispatcher>();
        services.AddSingleton<CampaignRunner>();
        services.AddSingleton<CollectionPeriods>();
        services.AddHostedService<DispatchJob>();
        services.AddSingleton<ContributionPaidHandler>();
        services.AddSingleton<ContributionRefundedHandler>();
        services.AddSingleton<OfficialAlerts>();
        services.AddSingleton<QuotaBehindScheduleHandler>();
        services.AddSingleton<CashUnremittedHandler>();
        services.AddSingleton<QuotaBulletins>();
        services.AddSingleton<WeeklySnapshotHandler>();
        return builder;
    }
}
