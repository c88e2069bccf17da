using Medins.Gateway;
using Medins.Platform.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformObservability();
builder.AddGateway();

var app = builder.Build();
app.MapPlatformObservability();
app.MapGateway();
app.Run();
