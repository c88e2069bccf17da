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
using Medins.Platform.Hosting.Security;
using Medins.Quota.V1;

const string PaymentCollection = "payment-collection";
const string QuotaTracking = "quota-tracking";

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults("notification", "notification", typeof(Program).Assembly);
// Background work and event handlers have no caller: every call names its tenant (ActingTenant.For).
builder.AddServiceClient<IdentityRegistryService.IdentityRegistryServiceClient>("identity-registry");
builder.AddServiceClient<QuotaTrackingService.QuotaTrackingServiceClient>("quota-tracking");
builder.AddMessageProviders();
builder.AddNotificationDelivery();

var app = builder.Build();
app.MapPlatformEndpoints();
app.MapGrpcService<NotificationGrpcService>();
// Providers' callbacks authenticate by the provider's signature, not by a caller assertion.
app.MapGroup("").AllowAnonymousCaller().MapProviderCallbacks();
app.MapEventSubscription<ContributionPaid, ContributionPaidHandler>(EventTopics.ContributionPaid, PaymentCollection);
app.MapEventSubscription<ContributionRefunded, ContributionRefundedHandler>(EventTopics.ContributionRefunded, PaymentCollection);
app.MapEventSubscription<CashUnremitted, CashUnremittedHandler>(EventTopics.CashUnremitted, PaymentCollection);
app.MapEventSubscription<QuotaBehindSchedule, QuotaBehindScheduleHandler>(EventTopics.QuotaBehindSchedule, QuotaTracking);
app.MapEventSubscription<QuotaWeeklySnapshotTaken, WeeklySnapshotHandler>(EventTopics.QuotaWeeklySnapshotTaken, QuotaTracking);
app.Run();

public partial class Program;
