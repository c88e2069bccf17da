using Medins.Payment.V1;

namespace Medins.PaymentCollection.Core;

/// <summary>The contract's values of what every feature shares: channels and subsidy lines.</summary>
public static class ContractValues
{
    // Stored codes of the channels; the table's CHECK constraint lists the same codes.
    private static readonly IReadOnlyDictionary<PaymentChannel, string> ChannelCodes = new Dictionary<PaymentChannel, string>
    {
        [PaymentChannel.WechatPay] = "wechat_pay",
        [PaymentChannel.Alipay] = "alipay",
        [PaymentChannel.TaxEBureau] = "tax_e_bureau",
        [PaymentChannel.Yukuaiban] = "yukuaiban",
        [PaymentChannel.BankCounter] = "bank_counter",
        [PaymentChannel.VillagePos] = "village_pos",
        [PaymentChannel.School] = "school",
        [PaymentChannel.VillageCash] = "village_cash",
    };

    private static readonly IReadOnlyDictionary<string, PaymentChannel> ChannelsByCode =
        ChannelCodes.ToDictionary(c => c.Value, c => c.Key);

    public static string? ChannelCode(PaymentChannel channel) => ChannelCodes.GetValueOrDefault(channel);

    /// <summary>Every stored channel code, in the contract's channel order.</summary>
    public static IReadOnlyList<string> AllChannelCodes { get; } = ChannelCodes.OrderBy(c => c.Key).Select(c => c.Value).ToList();

    public static PaymentChannel ToProtoChannel(string code) => ChannelsByCode.GetValueOrDefault(code);

    public static Payment.V1.SubsidyLine ToProto(SubsidyLine line) => new()
    {
        Category = line.Category,
        FundingSource = line.FundingSource,
        AmountFen = line.AmountFen,
        Description = line.Description,
    };
}
