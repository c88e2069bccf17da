using System.Buffers.Binary;
using System.Text.Json;
using Dapr.Client;
using Dapr.Client.Autogen.Grpc.v1;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Medins.Platform.Hosting.Tests;

/// <summary>
/// The Kubernetes transport against a stand-in Dapr sidecar: a real HTTP/2 server that answers the sidecar's
/// gRPC PublishEvent method and records what the relay published.
/// </summary>
public sealed class DaprEventTransportTests : IAsyncLifetime
{
    private WebApplication _sidecar = null!;
    private int _port;
    private readonly List<PublishEventRequest> _published = [];

    public async Task InitializeAsync()
    {
        _port = PostgresCluster.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(_port, o => o.Protocols = HttpProtocols.Http2));
        builder.Logging.ClearProviders();
        _sidecar = builder.Build();
        _sidecar.MapPost("/dapr.proto.runtime.v1.Dapr/PublishEvent", async (HttpContext http) =>
        {
            // gRPC framing: 1 byte compressed flag, 4 bytes big-endian length, then the protobuf message.
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var frame = body.ToArray();
            var length = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(1, 4));
            lock (_published) _published.Add(PublishEventRequest.Parser.ParseFrom(frame.AsSpan(5, length)));
            http.Response.ContentType = "application/grpc";
            http.Response.DeclareTrailer("grpc-status");
            await http.Response.Body.WriteAsync(new byte[5]); // an empty google.protobuf.Empty
            http.Response.AppendTrailer("grpc-status", "0");
        });
        await _sidecar.StartAsync();
    }

    public async Task DisposeAsync() => await _sidecar.DisposeAsync();

    [Fact]
    public async Task Deliver_ThroughSidecar_PublishesTheCloudEventUnchangedToTheTopic()
    {
        using var dapr = new DaprClientBuilder().UseGrpcEndpoint($"http://localhost:{_port}").Build();
        var transport = new DaprEventTransport(dapr, Options.Create(new EventOptions { PubSubName = "medins-pubsub" }));
        var cloudEvent = new CloudEvent(Guid.CreateVersion7(), "payment-collection", "medins.payment.v1.ContributionPaid",
            "contribution.paid", "cq-lidu", DateTimeOffset.UtcNow, """{"orderId":"o-1","personalAmountFen":"38000"}""");

        var result = await transport.DeliverAsync(transport.Targets.Single(), cloudEvent, CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Delivered, result.Outcome);
        var published = Assert.Single(_published);
        Assert.Equal("medins-pubsub", published.PubsubName);
        Assert.Equal("contribution.paid", published.Topic);
        Assert.Equal(CloudEvent.ContentType, published.DataContentType);
        using var envelope = JsonDocument.Parse(published.Data.ToByteArray());
        Assert.Equal(cloudEvent.Id.ToString(), envelope.RootElement.GetProperty("id").GetString());
        Assert.Equal("cq-lidu", envelope.RootElement.GetProperty("tenantid").GetString());
        Assert.Equal("o-1", envelope.RootElement.GetProperty("data").GetProperty("orderId").GetString());
    }

    [Fact]
    public async Task Deliver_SidecarUnreachable_ReportsFailureForRetry()
    {
        using var dapr = new DaprClientBuilder().UseGrpcEndpoint($"http://localhost:{PostgresCluster.FreePort()}").Build();
        var transport = new DaprEventTransport(dapr, Options.Create(new EventOptions()));
        var cloudEvent = new CloudEvent(Guid.CreateVersion7(), "payment-collection", "t", "contribution.paid", "cq-lidu",
            DateTimeOffset.UtcNow, "{}");

        var result = await transport.DeliverAsync("dapr:pubsub", cloudEvent, CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Failed, result.Outcome);
        Assert.NotNull(result.Error);
    }
}
