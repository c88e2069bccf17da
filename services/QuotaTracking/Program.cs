using Medins;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Messaging;
using Medins.QuotaTracking.Events;
using Medins.QuotaTracking.Grpc;

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults("quota-tracking", "quota_tracking", typeof(Program).Assembly);
builder.Services.AddSingleton<ContributionLedger>();
builder.Services.AddSingleton<ContributionPaidHandler>();
builder.Services.AddSingleton<ContributionRefundedHandler>();

var app = builder.Build();
app.MapPlatformEndpoints();
app.MapGrpcService<QuotaTrackingGrpcService>();
app.MapEventSubscription<ContributionPaid, ContributionPaidHandler>(EventTopics.ContributionPaid);
app.MapEventSubscription<ContributionRefunded, ContributionRefundedHandler>(EventTopics.ContributionRefunded);
app.Run();

public partial class Program;
