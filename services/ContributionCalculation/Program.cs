using Medins.ContributionCalculation.Grpc;
using Medins.Platform.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults("contribution-calculation", "contribution_calculation", typeof(Program).Assembly);

var app = builder.Build();
app.MapPlatformEndpoints();
app.MapGrpcService<ContributionCalculationGrpcService>();
app.Run();

public partial class Program;
