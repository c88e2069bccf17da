using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Medins.Notification.Channels;

/// <summary>Which provider carries each channel: <c>Notification:Providers:{SMS|WECHAT|LETTER}</c>.</summary>
public sealed class ProviderSelection
{
    public string Sms { get; set; } = LocalSinkProvider.ProviderName;
    public string WeChat { get; set; } = LocalSinkProvider.ProviderName;
}

public static class ProviderRegistration
{
    /// <summary>
    /// The local sink carries every channel unless configuration names a real provider for it ("tencent-sms" for
    /// SMS, "wechat-mp" for WeChat). Letters are always the local sink: what it stores is the print run.
    /// </summary>
    public static WebApplicationBuilder AddMessageProviders(this WebApplicationBuilder builder)
    {
        var selection = builder.Configuration.GetSection("Notification:Providers").Get<ProviderSelection>() ?? new ProviderSelection();
        // Settings first, then the deployment's channel Secret over them. Always bound: the callbacks need them too.
        builder.Services.Configure<TencentSmsOptions>(builder.Configuration.GetSection(TencentSmsOptions.Section));
        builder.Services.Configure<TencentSmsOptions>(builder.Configuration.GetSection(TencentSmsOptions.SecretSection));
        builder.Services.Configure<WeChatOptions>(builder.Configuration.GetSection(WeChatOptions.Section));
        builder.Services.Configure<WeChatOptions>(builder.Configuration.GetSection(WeChatOptions.SecretSection));
        builder.Services.AddSingleton<WeChatPushNonces>();
        builder.Services.AddSingleton<IMessageProvider>(new LocalSinkProvider(ChannelNames.Letter));
        AddChannel(builder, ChannelNames.Sms, selection.Sms);
        AddChannel(builder, ChannelNames.WeChat, selection.WeChat);
        return builder;
    }

    /// <summary>
    /// One provider instance (it may cache an access token) on a typed client whose connections are renewed, so DNS
    /// changes are followed although the client lives as long as the provider.
    /// </summary>
    private static void AddProvider<TProvider, TOptions>(WebApplicationBuilder builder, Func<TOptions, TimeSpan> timeout)
        where TProvider : class, IMessageProvider where TOptions : class
    {
        builder.Services.AddHttpClient<TProvider>((sp, client) =>
                client.Timeout = timeout(sp.GetRequiredService<IOptions<TOptions>>().Value))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        builder.Services.AddSingleton<IMessageProvider>(sp => sp.GetRequiredService<TProvider>());
    }

    private static void AddChannel(WebApplicationBuilder builder, string channel, string provider)
    {
        switch (provider)
        {
            case LocalSinkProvider.ProviderName:
                builder.Services.AddSingleton<IMessageProvider>(new LocalSinkProvider(channel));
                break;
            case TencentSmsProvider.ProviderName when channel == ChannelNames.Sms:
                AddProvider<TencentSmsProvider, TencentSmsOptions>(builder, o => o.Timeout);
                break;
            case WeChatTemplateProvider.ProviderName when channel == ChannelNames.WeChat:
                AddProvider<WeChatTemplateProvider, WeChatOptions>(builder, o => o.Timeout);
                break;
            default:
                throw new InvalidOperationException(
                    $"Notification:Providers:{channel} names '{provider}', which is not a provider of the {channel} channel.");
        }
    }
}
