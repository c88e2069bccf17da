using Medins;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Messaging;
using Medins.QuotaTracking.Data;
using Medins.QuotaTracking.Events;
using Medins.QuotaTracking.Grpc;
using Medins.QuotaTracking.Progress;

const string PaymentCollection = "payment-collection";
const string IdentityRegistry = "identity-registry";

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults("quota-tracking", "quota_tracking", typeof(Program).Assembly);
builder.Services.AddSingleton<RulesCache>();
builder.Services.AddSingleton<ContributionLedger>();
builder.Services.Configure<ProgressOptions>(builder.Configuration.GetSection("QuotaTracking:Progress"));
builder.Services.AddSingleton<SnapshotTaker>();
builder.Services.AddSingleton<ProgressGauges>();
builder.Services.AddHostedService<ProgressJob>();
builder.Services.AddSingleton<ContributionPaidHandler>();
builder.Services.AddSingleton<ContributionRefundedHandler>();
builder.Services.AddSingleton<PriorEnrolmentsImportedHandler>();

var app = builder.Build();
app.MapPlatformEndpoints();
app.MapGrpcService<QuotaTrackingGrpcService>();
app.MapEventSubscription<ContributionPaid, ContributionPaidHandler>(EventTopics.ContributionPaid, PaymentCollection);
app.MapEventSubscription<ContributionRefunded, ContributionRefundedHandler>(EventTopics.ContributionRefunded, PaymentCollection);
app.MapEventSubscription<PriorEnrolmentsImported, PriorEnrolmentsImportedHandler>(EventTopics.PriorEnrolmentsImported, IdentityRegistry);
app.Run();

public partial class Program;
