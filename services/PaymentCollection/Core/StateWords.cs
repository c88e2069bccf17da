namespace Medins.PaymentCollection.Core;

/// <summary>Order states as error messages name them: plain words, not the enum identifiers.</summary>
public static class StateWords
{
    public static string English(this OrderState state) => state switch
    {
        OrderState.Created => "awaiting payment",
        OrderState.Paid => "paid",
        OrderState.Expired => "expired",
        OrderState.Cancelled => "cancelled",
        OrderState.RefundRequested => "being refunded",
        OrderState.Refunded => "refunded",
        _ => "in an unknown state",
    };

    public static string Chinese(this OrderState state) => state switch
    {
        OrderState.Created => "待付款",
        OrderState.Paid => "已付款",
        OrderState.Expired => "已过期",
        OrderState.Cancelled => "已撤销",
        OrderState.RefundRequested => "退费办理中",
        OrderState.Refunded => "已退费",
        _ => "状态不明",
    };
}
