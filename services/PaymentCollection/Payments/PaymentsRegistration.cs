using Medins.PaymentCollection.Events;
using Medins.PaymentCollection.Upstream;

namespace Medins.PaymentCollection.Payments;

public static class PaymentsRegistration
{
    /// <summary>Orders, confirmations, refunds and the upstream pricing they share.</summary>
    public static WebApplicationBuilder AddPayments(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PaymentCollectionOptions>()
            .Bind(builder.Configuration.GetSection(PaymentCollectionOptions.Section))
            .Validate(o => o.OrderExpiryMinutes > 0, "PaymentCollection:OrderExpiryMinutes must be positive.")
            .ValidateOnStart();
        builder.Services.AddScoped<ResidentPricing>();
        builder.Services.AddScoped<OrderBook>();
        builder.Services.AddScoped<RefundDesk>();
        builder.Services.AddScoped<IdentityCertifiedHandler>();
        return builder;
    }
}
