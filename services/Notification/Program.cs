using Medins;
using Medins.Notification;
using Medins.Notification.Channels;
using Medins.Notification.Events;
using Medins.Notification.Grpc;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Messaging;
using Medins.Quota.V1;

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults("notification", "notification", typeof(Program).Assembly);
builder.AddMessageProviders();
builder.AddNotificationDelivery();

var app = builder.Build();
app.MapPlatformEndpoints();
app.MapGrpcService<NotificationGrpcService>();
app.MapEventSubscription<ContributionPaid, ContributionPaidHandler>(EventTopics.ContributionPaid);
app.MapEventSubscription<ContributionRefunded, ContributionRefundedHandler>(EventTopics.ContributionRefunded);
app.MapEventSubscription<CashUnremitted, CashUnremittedHandler>(EventTopics.CashUnremitted);
app.MapEventSubscription<QuotaBehindSchedule, QuotaBehindScheduleHandler>(EventTopics.QuotaBehindSchedule);
app.MapEventSubscription<QuotaWeeklySnapshotTaken, WeeklySnapshotHandler>(EventTopics.QuotaWeeklySnapshotTaken);
app.Run();

public partial class Program;
