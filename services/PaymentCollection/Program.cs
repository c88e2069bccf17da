using Medins.Contribution.V1;
using Medins.Identity.V1;
using Medins.PaymentCollection;
using Medins.PaymentCollection.Grpc;
using Medins.PaymentCollection.Payments;
using Medins.PaymentCollection.Reconciliation;
using Medins.PaymentCollection.Upstream;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Grpc;

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults("payment-collection", "payment_collection", typeof(Program).Assembly);
builder.AddServiceClient<IdentityRegistryService.IdentityRegistryServiceClient>("identity-registry");
builder.AddServiceClient<ContributionCalculationService.ContributionCalculationServiceClient>("contribution-calculation");
builder.Services.AddOptions<PaymentCollectionOptions>()
    .Bind(builder.Configuration.GetSection(PaymentCollectionOptions.Section))
    .Validate(o => o.OrderExpiryMinutes > 0, "PaymentCollection:OrderExpiryMinutes must be positive.")
    .ValidateOnStart();
builder.Services.AddScoped<ResidentPricing>();
builder.Services.AddScoped<OrderBook>();
builder.Services.AddReconciliation();

var app = builder.Build();
app.MapPlatformEndpoints();
app.MapGrpcService<PaymentCollectionGrpcService>();
app.MapGrpcService<ReconciliationGrpcService>();
app.Run();

public partial class Program;
