
namespace Medins.PaymentCollection.Orders;

public static class OrdersRegistration
{
    /// <summary>Orders and their confirmations, and the upstream pricing they use.</summary>
    public static WebApplicationBuilder AddOrders(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PaymentCollectionOptions>()
            .Bind(builder.Configuration.GetSection(PaymentCollectionOptions.Section))
            .Validate(o => o.OrderExpiryMinutes > 0, "PaymentCollection:OrderExpiryMinutes must be positive.")
            .ValidateOnStart();
        builder.Services.AddScoped<ResidentPricing>();
        builder.Services.AddScoped<OrderBook>();
        return builder;
    }
}
