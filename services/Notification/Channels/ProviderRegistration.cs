using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

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
    /// The local sink carries every channel unless configuration names a real provider for it. Letters are always
    /// the local sink: what it stores is the print run.
    /// </summary>
    public static WebApplicationBuilder AddMessageProviders(this WebApplicationBuilder builder)
    {
        var selection = builder.Configuration.GetSection("Notification:Providers").Get<ProviderSelection>() ?? new ProviderSelection();
        builder.Services.AddSingleton<IMessageProvider>(new LocalSinkProvider(ChannelNames.Letter));
        AddChannel(builder, ChannelNames.Sms, selection.Sms);
        AddChannel(builder, ChannelNames.WeChat, selection.WeChat);
        return builder;
    }

    private static void AddChannel(WebApplicationBuilder builder, string channel, string provider)
    {
        switch (provider)
        {
            case LocalSinkProvider.ProviderName:
                builder.Services.AddSingleton<IMessageProvider>(new LocalSinkProvider(channel));
                break;
            default:
                throw new InvalidOperationException(
                    $"Notification:Providers:{channel} names '{provider}', which is not a provider of the {channel} channel.");
        }
    }
}
