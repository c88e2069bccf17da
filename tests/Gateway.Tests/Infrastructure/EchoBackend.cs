using System.Net;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.Platform.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Medins.Gateway.Tests.Infrastructure;

/// <summary>
/// A real downstream on two loopback ports, standing in for identity-registry: gRPC (h2c) serving
/// IdentityRegistryService, and HTTP/1.1 serving /v1/* (any service's JSON API) and the provider callback paths.
/// Both echo the request headers they received.
/// </summary>
public sealed class EchoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoBackend(WebApplication app, int grpcPort, int httpPort)
    {
        _app = app;
        GrpcAddress = $"http://127.0.0.1:{grpcPort}";
        HttpAddress = $"http://127.0.0.1:{httpPort}";
    }

    public string GrpcAddress { get; }
    public string HttpAddress { get; }

    public static async Task<EchoBackend> StartAsync()
    {
        // A port found free can be taken by someone else before Kestrel binds it: try again with new ones.
        for (var attempt = 1; ; attempt++)
        {
            var (app, grpcPort, httpPort) = Create();
            try
            {
                await app.StartAsync();
                return new EchoBackend(app, grpcPort, httpPort);
            }
            catch (IOException) when (attempt < 3)
            {
                await app.DisposeAsync();
            }
        }
    }

    private static (WebApplication App, int GrpcPort, int HttpPort) Create()
    {
        var grpcPort = FreePort.Next();
        var httpPort = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, grpcPort, o => o.Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, httpPort, o => o.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddGrpc();

        var app = builder.Build();
        app.MapGrpcService<EchoIdentityService>();
        app.MapGet("/v1/residents", EchoJson);
        app.MapGet("/v1/residents/{**rest}", EchoJson);
        // Standing in for every other service's JSON API as well.
        app.MapMethods("/v1/{**rest}", ["GET", "POST"], EchoJson);
        // Standing in for payment-collection's notify endpoint too.
        app.MapPost("/channels/{**rest}", EchoJson);
        // And for notification's provider callbacks.
        app.MapMethods("/providers/{**rest}", ["GET", "POST"], EchoJson);
        return (app, grpcPort, httpPort);
    }

    private static IResult EchoJson(HttpContext context) => Results.Json(new EchoedRequest(
        context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "",
        context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>What the backend's JSON endpoint answers.</summary>
public sealed record EchoedRequest(string Path, string Query, Dictionary<string, string> Headers);

/// <summary>
/// ListResidents answers one "resident" per request header received (name = header, national_id = value);
/// GetResident echoes the id, or fails with NOT_FOUND / RESIDENT_NOT_FOUND for the id "missing".
/// </summary>
public sealed class EchoIdentityService : IdentityRegistryService.IdentityRegistryServiceBase
{
    public override Task<ListResidentsResponse> ListResidents(ListResidentsRequest request, ServerCallContext context)
    {
        var response = new ListResidentsResponse();
        foreach (var header in context.RequestHeaders)
            response.Residents.Add(new Resident { Name = header.Key, NationalId = header.IsBinary ? "" : header.Value });
        return Task.FromResult(response);
    }

    public override Task<GetResidentResponse> GetResident(GetResidentRequest request, ServerCallContext context)
    {
        if (request.ResidentId == "missing")
            throw RpcErrors.ToRpcException(RpcErrors.NotFound("RESIDENT_NOT_FOUND", "No such resident."), RpcErrors.DomainOf("identity-registry"));
        return Task.FromResult(new GetResidentResponse { Resident = new Resident { ResidentId = request.ResidentId } });
    }
}
