using Medins;
using Medins.IdentityRegistry;
using Medins.IdentityRegistry.Data;
using Medins.IdentityRegistry.Events;
using Medins.IdentityRegistry.Grpc;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Messaging;

const string PaymentCollection = "payment-collection";

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults("identity-registry", "identity_registry", typeof(Program).Assembly);
builder.Services.AddIdentityProtection();
builder.Services.AddScoped<IdentityImports>();
builder.Services.AddScoped<ResidentBulkLoader>();
builder.Services.AddScoped<ContributionPaidHandler>();
builder.Services.AddScoped<ContributionRefundedHandler>();
builder.Services.AddScoped<ContributionRefundRequestedHandler>();

var app = builder.Build();
app.MapPlatformEndpoints();
app.MapGrpcService<IdentityRegistryGrpcService>();
app.MapEventSubscription<ContributionPaid, ContributionPaidHandler>(EventTopics.ContributionPaid, PaymentCollection);
app.MapEventSubscription<ContributionRefunded, ContributionRefundedHandler>(EventTopics.ContributionRefunded, PaymentCollection);
app.MapEventSubscription<ContributionRefundRequested, ContributionRefundRequestedHandler>(EventTopics.ContributionRefundRequested, PaymentCollection);
app.Run();

public partial class Program;
