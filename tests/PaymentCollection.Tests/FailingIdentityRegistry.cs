using Grpc.Core;
using Medins.Identity.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Medins.PaymentCollection.Tests;

/// <summary>
/// TEST DOUBLE standing in for an unhealthy identity-registry: every call fails with one status code, which the real
/// service cannot be made to do on demand. Served over real gRPC on an in-memory test server.
/// </summary>
public sealed class FailingIdentityRegistry(StatusCode failure) : IdentityRegistryService.IdentityRegistryServiceBase
{
    public override Task<GetResidentResponse> GetResident(GetResidentRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(failure, "identity-registry test double failing on purpose"));

    public async Task<WebApplication> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        var app = builder.Build();
        app.MapGrpcService<FailingIdentityRegistry>();
        await app.StartAsync();
        return app;
    }
}
