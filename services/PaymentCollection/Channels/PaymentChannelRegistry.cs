using Medins.PaymentCollection.Core;
using Microsoft.Extensions.Options;

namespace Medins.PaymentCollection.Channels;

/// <summary>The configured channels' adapters, and prepay and status query for a tenant's order.</summary>
public sealed class PaymentChannelRegistry
{
    /// <summary>The IHttpClientFactory client every adapter calls its provider with.</summary>
    public const string HttpClientName = "payment-channels";

    private readonly Dictionary<string, IPaymentChannel> _channels;

    public PaymentChannelRegistry(IOptions<ChannelsOptions> options, IHttpClientFactory clients, TimeProvider time)
    {
        // The options validator has refused to start with problems, so every account here is usable.
        var (accounts, _) = ChannelAccounts.Resolve(options.Value);
        HttpClient Client() => clients.CreateClient(HttpClientName);
        _channels = accounts.ToDictionary(a => a.Channel, IPaymentChannel (a) => a.Channel switch
        {
            PaymentChannels.WeChatPay => new WeChatPayChannel(a, Client, time),
            PaymentChannels.Alipay => new AlipayChannel(a, Client, time),
            _ => new BureauCollectionChannel(a.Channel, a, Client, time),
        }, StringComparer.Ordinal);
    }

    public IPaymentChannel? Find(string code) => _channels.GetValueOrDefault(code);

    /// <summary>Opens the order at its channel with the tenant's merchant account; returns what the payer needs.</summary>
    public Task<PrepayResult> PrepayAsync(string tenantId, PaymentOrder order, CancellationToken ct)
    {
        var (channel, merchant) = Resolve(tenantId, order.Channel);
        return channel.PrepayAsync(merchant, new PrepayRequest(OutTradeNo.From(order.OrderId), order.PersonalAmountFen,
            $"城乡居民医保{order.CoverageYear}年度个人缴费", order.ExpiresAt), ct);
    }

    /// <summary>Where the order's payment stands at its channel.</summary>
    public Task<TradeStatus> QueryAsync(string tenantId, PaymentOrder order, CancellationToken ct)
    {
        var (channel, merchant) = Resolve(tenantId, order.Channel);
        return channel.QueryAsync(merchant, OutTradeNo.From(order.OrderId), ct);
    }

    private (IPaymentChannel Channel, ChannelMerchant Merchant) Resolve(string tenantId, string code)
    {
        var channel = Find(code);
        var merchant = channel?.Account.MerchantOf(tenantId);
        return channel is null || merchant is null
            ? throw ChannelCallFailure.Of(code, ErrorReason.ChannelNotConfigured,
                $"Tenant {tenantId} has no merchant account configured for channel {code}.")
            : (channel, merchant);
    }
}
