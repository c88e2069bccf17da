namespace Medins.PaymentCollection.Refunds;

public static class RefundsRegistration
{
    /// <summary>Refunds asked by clerks and raised by identity.certified, and the policy they ask.</summary>
    public static WebApplicationBuilder AddRefunds(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<RefundPolicy>();
        builder.Services.AddScoped<RefundDesk>();
        builder.Services.AddScoped<IdentityCertifiedHandler>();
        return builder;
    }
}
