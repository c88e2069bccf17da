using Medins.PaymentCollection.Reconciliation.Statements;

namespace Medins.PaymentCollection.Reconciliation;

/// <summary>Channels, statements, discrepancies and actions as error messages name them, not as the code does.</summary>
public static class ReconciliationWords
{
    /// <summary>The channel as a clerk knows it (channel codes as payment orders store them).</summary>
    public static string ChannelChinese(string channel) => channel switch
    {
        "wechat_pay" => "微信支付",
        "alipay" => "支付宝",
        "tax_e_bureau" => "电子税务局",
        "yukuaiban" => "渝快办",
        "bank_counter" => "银行柜台",
        "village_pos" => "村级POS机",
        "school" => "学校代收",
        "village_cash" => "村级现金代收",
        _ => "该缴费渠道",
    };

    public static string StatementEnglish(StatementFormat format) => format switch
    {
        StatementFormat.WeChatTradeBill => "WeChat Pay trade bill",
        StatementFormat.AlipayTradeStatement => "Alipay trade statement",
        _ => "collection channel statement",
    };

    public static string English(this ResolutionAction action) => action switch
    {
        ResolutionAction.ConfirmLatePayment => "confirming a late payment",
        ResolutionAction.RefundToPayer => "refunding the payer",
        ResolutionAction.ChannelErrorWrittenOff => "writing off a channel error",
        ResolutionAction.MatchedManually => "matching by hand",
        _ => "this action",
    };

    public static string Chinese(this ResolutionAction action) => action switch
    {
        ResolutionAction.ConfirmLatePayment => "确认迟到的付款",
        ResolutionAction.RefundToPayer => "退还付款人",
        ResolutionAction.ChannelErrorWrittenOff => "渠道差错核销",
        ResolutionAction.MatchedManually => "人工匹配",
        _ => "该处理方式",
    };

    public static string English(this DiscrepancyKind kind) => kind switch
    {
        DiscrepancyKind.MissingHere => "money the channel lists but the platform has not recorded",
        DiscrepancyKind.MissingThere => "a payment the platform recorded but the channel does not list",
        DiscrepancyKind.AmountDifference => "an amount difference",
        _ => "this discrepancy",
    };

    public static string Chinese(this DiscrepancyKind kind) => kind switch
    {
        DiscrepancyKind.MissingHere => "渠道有、平台无的款项",
        DiscrepancyKind.MissingThere => "平台有、渠道无的款项",
        DiscrepancyKind.AmountDifference => "金额不一致的款项",
        _ => "这条差错",
    };
}
