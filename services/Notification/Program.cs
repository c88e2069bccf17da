using Medins;
using Medins.Identity.V1;
using Medins.Notification;
using Medins.Notification.Channels;
using Medins.Notification.Events;
using Medins.Notification.Grpc;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Grpc;
using Medins.Platform.Hosting.Messaging;
using Medins.Quota.V1;

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults("notification", "notification", typeof(Program).Assembly);
// No tenant propagation: background work and event handlers have no caller, so every call names its tenant itself.
builder.AddServiceClient<IdentityRegistryService.IdentityRegistryServiceClient>("identity-registry", propagateTenant: false);
builder.AddServiceClient<QuotaTrackingService.QuotaTrackingServiceClient>("quota-tracking", propagateTenant: false);
builder.AddMessageProviders();
builder.AddNotificationDelivery();

var app = builder.Build();
app.MapPlatformEndpoints();
app.MapGrpcService<NotificationGrpcService>();
app.MapProviderCallbacks();
app.MapEventSubscription<ContributionPaid, ContributionPaidHandler>(EventTopics.ContributionPaid);
app.MapEventSubscription<ContributionRefunded, ContributionRefundedHandler>(EventTopics.ContributionRefunded);
app.MapEventSubscription<CashUnremitted, CashUnremittedHandler>(EventTopics.CashUnremitted);
app.MapEventSubscription<QuotaBehindSchedule, QuotaBehindScheduleHandler>(EventTopics.QuotaBehindSchedule);
app.MapEventSubscription<QuotaWeeklySnapshotTaken, WeeklySnapshotHandler>(EventTopics.QuotaWeeklySnapshotTaken);
app.Run();

public partial class Program;
