namespace Medins.PaymentCollection.Orders;

/// <summary>Settings of the <c>PaymentCollection</c> configuration section.</summary>
public sealed class PaymentCollectionOptions
{
    public const string Section = "PaymentCollection";

    /// <summary>How long a created order can be paid; a channel confirming later is refused with ORDER_EXPIRED.</summary>
    public int OrderExpiryMinutes { get; set; } = 30;

    public TimeSpan OrderExpiry => TimeSpan.FromMinutes(OrderExpiryMinutes);
}
