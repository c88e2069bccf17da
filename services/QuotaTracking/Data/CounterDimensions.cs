using Medins.Payment.V1;

namespace Medins.QuotaTracking.Data;

/// <summary>The breakdowns kept per village, and how a payment channel is keyed in them.</summary>
public static class CounterDimensions
{
    public const string PersonGroup = "person-group";
    public const string Channel = "channel";
    public const string KeyGroup = "key-group";

    /// <summary>The channel's proto enum name (PAYMENT_CHANNEL_WECHAT_PAY): stable whatever the generated C# names.</summary>
    public static string ChannelKey(PaymentChannel channel) =>
        Channels.FindValueByNumber((int)channel)?.Name ?? Channels.FindValueByNumber(0).Name;

    public static PaymentChannel ChannelFromKey(string key) =>
        Channels.FindValueByName(key) is { } value ? (PaymentChannel)value.Number : PaymentChannel.Unspecified;

    private static readonly Google.Protobuf.Reflection.EnumDescriptor Channels =
        PaymentOrderReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.EnumDescriptor>("PaymentChannel");
}
