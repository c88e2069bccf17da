using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Medins.PaymentCollection.Channels;

public static class ChannelHosting
{
    /// <summary>
    /// The channel adapters from <c>PaymentCollection:Channels</c>, overlaid by <c>Channels</c> (keys from the
    /// chart's Secret), validated at start; the notify endpoint's handler; the HTTP client adapters call providers with.
    /// </summary>
    public static WebApplicationBuilder AddPaymentChannels(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ChannelsOptions>()
            .Configure<IConfiguration>((o, config) => ChannelsOptions.Bind(config, o))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ChannelsOptions>, ChannelsOptionsValidator>();
        builder.Services.AddHttpClient(PaymentChannelRegistry.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton<PaymentChannelRegistry>();
        builder.Services.AddScoped<ChannelNoticeHandler>();
        return builder;
    }
}
