using Medins;
using Medins.Contribution.V1;
using Medins.Identity.V1;
using Medins.PaymentCollection.Channels;
using Medins.PaymentCollection.Events;
using Medins.PaymentCollection.Grpc;
using Medins.PaymentCollection.Payments;
using Medins.PaymentCollection.VillageCash;
using Medins.PaymentCollection.Reconciliation;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Grpc;
using Medins.Platform.Hosting.Messaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults("payment-collection", "payment_collection", typeof(Program).Assembly);
builder.AddServiceClient<IdentityRegistryService.IdentityRegistryServiceClient>("identity-registry");
builder.AddServiceClient<ContributionCalculationService.ContributionCalculationServiceClient>("contribution-calculation");
builder.AddPayments();
builder.AddVillageCash();
builder.AddPaymentChannels();
builder.Services.AddReconciliation();

var app = builder.Build();
app.MapPlatformEndpoints();
app.MapGrpcService<PaymentCollectionGrpcService>();
app.MapGrpcService<VillageCashGrpcService>();
app.MapGrpcService<ReconciliationGrpcService>();
app.MapChannelNotices();
app.MapEventSubscription<IdentityCertified, IdentityCertifiedHandler>(EventTopics.IdentityCertified);
app.Run();

public partial class Program;
