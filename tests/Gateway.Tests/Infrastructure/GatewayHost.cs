using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Medins.Gateway.Tests.Infrastructure;

/// <summary>
/// The real gateway (its Program and appsettings.json) on Kestrel, on two free ports, with configuration
/// overrides: the service addresses point at an <see cref="EchoBackend"/> (contribution-calculation's at nothing), and
/// it signs caller assertions with <see cref="TestAssertions"/>' key.
/// </summary>
public sealed class GatewayHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    private GatewayHost(Dictionary<string, string?> settings, Action<IServiceCollection>? services, int grpcPort, int httpPort)
    {
        _settings = settings;
        _services = services;
        GrpcAddress = $"http://127.0.0.1:{grpcPort}";
        HttpAddress = $"http://127.0.0.1:{httpPort}";
    }

    public string GrpcAddress { get; }
    public string HttpAddress { get; }

    public static GatewayHost Start(EchoBackend backend, IReadOnlyDictionary<string, string?>? overrides = null,
        Action<IServiceCollection>? services = null)
    {
        // A port found free can be taken by someone else before Kestrel binds it: try again with new ones.
        for (var attempt = 1; ; attempt++)
        {
            var host = Create(backend, overrides, services);
            try
            {
                host.StartServer();
                return host;
            }
            catch (IOException) when (attempt < 3)
            {
                host.Dispose();
            }
        }
    }

    private static GatewayHost Create(EchoBackend backend, IReadOnlyDictionary<string, string?>? overrides,
        Action<IServiceCollection>? services)
    {
        var grpcPort = FreePort.Next();
        var httpPort = FreePort.Next();
        var settings = new Dictionary<string, string?>
        {
            ["Platform:GrpcPort"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Platform:HttpPort"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Metrics stay on the HTTP port: appsettings.json's fixed metrics port would collide between fixtures.
            ["Platform:MetricsPort"] = "",
            ["Services:identity-registry:Grpc"] = backend.GrpcAddress,
            ["Services:identity-registry:Http"] = backend.HttpAddress,
            ["Services:payment-collection:Http"] = backend.HttpAddress,
            ["Services:quota-tracking:Http"] = backend.HttpAddress,
            ["Services:notification:Http"] = backend.HttpAddress,
            // Nothing listens here: calls to this service exercise the gateway's upstream failure answer.
            ["Services:contribution-calculation:Grpc"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Services:contribution-calculation:Http"] = $"http://127.0.0.1:{FreePort.Next()}",
        };
        foreach (var (key, value) in TestAssertions.GatewaySettings) settings[key] = value;
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;

        var host = new GatewayHost(settings, services, grpcPort, httpPort);
        host.UseKestrel();
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        if (_services is not null) builder.ConfigureServices(_services);
    }
}
