using System.Text;
using Medins.ChannelSimulation;
using Medins.PaymentCollection.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Medins.PaymentCollection.Tests.Channels;

/// <summary>The service's adapters built from its own appsettings.json, their providers played by the simulator.</summary>
internal static class ChannelTestKit
{
    /// <summary>payment-collection's shipped channel settings (the demo keys), every base address at the simulator.</summary>
    public static ChannelsOptions DemoOptions(Action<ChannelsOptions>? change = null)
    {
        var settings = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(SimulatorSetup.DemoSettingsJson())))
            .Build();
        var options = new ChannelsOptions();
        ChannelsOptions.Bind(settings, options);
        foreach (var (code, account) in options.Accounts) account.BaseAddress = ChannelSimulator.BaseAddress(code).ToString();
        change?.Invoke(options);
        return options;
    }

    public static PaymentChannelRegistry Registry(ChannelSimulator simulator, ChannelsOptions? options = null) =>
        Registry(simulator.Handler, simulator.Time, options);

    public static PaymentChannelRegistry Registry(HttpMessageHandler providers, TimeProvider time, ChannelsOptions? options = null) =>
        new(Options.Create(options ?? DemoOptions()), new HandlerClients(providers), time);

    public static HeaderDictionary Headers(SignedNotice notice)
    {
        var headers = new HeaderDictionary();
        foreach (var (name, value) in notice.Headers) headers[name] = value;
        return headers;
    }

    /// <summary>Every adapter call goes to one handler (the simulator's, or a test's own).</summary>
    public sealed class HandlerClients(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }
}
