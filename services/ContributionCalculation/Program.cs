using Medins.ContributionCalculation.Data;
using Medins.ContributionCalculation.Grpc;
using Medins.Identity.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Grpc;

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults("contribution-calculation", "contribution_calculation", typeof(Program).Assembly);
builder.AddServiceClient<IdentityRegistryService.IdentityRegistryServiceClient>("identity-registry");
builder.Services.AddSingleton<CompiledPolicyCache>();

var app = builder.Build();
app.MapPlatformEndpoints();
app.MapGrpcService<ContributionCalculationGrpcService>();
app.Run();

public partial class Program;
