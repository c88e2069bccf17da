using Medins;
using Medins.Contribution.V1;
using Medins.Identity.V1;
using Medins.PaymentCollection.Channels;
using Medins.PaymentCollection.Grpc;
using Medins.PaymentCollection.Orders;
using Medins.PaymentCollection.Reconciliation;
using Medins.PaymentCollection.Refunds;
using Medins.PaymentCollection.Reviews;
using Medins.PaymentCollection.VillageCash;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Grpc;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Hosting.Security;

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults("payment-collection", "payment_collection", typeof(Program).Assembly);
builder.AddServiceClient<IdentityRegistryService.IdentityRegistryServiceClient>("identity-registry");
builder.AddServiceClient<ContributionCalculationService.ContributionCalculationServiceClient>("contribution-calculation");
builder.AddOrders();
builder.AddRefunds();
builder.AddReviews();
builder.AddVillageCash();
builder.AddPaymentChannels();
builder.Services.AddReconciliation();

var app = builder.Build();
app.MapPlatformEndpoints();
app.MapGrpcService<PaymentCollectionGrpcService>();
app.MapGrpcService<VillageCashGrpcService>();
app.MapGrpcService<ReconciliationGrpcService>();
// Providers' notices authenticate by the provider's signature, not by a caller assertion.
app.MapGroup("").AllowAnonymousCaller().MapChannelNotices();
app.MapEventSubscription<IdentityCertified, IdentityCertifiedHandler>(EventTopics.IdentityCertified, "identity-registry");
app.Run();

public partial class Program;
