namespace Medins.PaymentCollection.VillageCash;

public static class VillageCashRegistration
{
    /// <summary>The cash desk, the village check against identity-registry, and the unremitted-cash monitor.</summary>
    public static WebApplicationBuilder AddVillageCash(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<VillageCashOptions>()
            .Bind(builder.Configuration.GetSection(VillageCashOptions.Section))
            .Validate(o => o.CheckIntervalSeconds > 0, $"{VillageCashOptions.Section}:CheckIntervalSeconds must be positive.")
            .ValidateOnStart();
        builder.Services.AddScoped<CashDesk>();
        builder.Services.AddScoped<VillageDirectory>();
        builder.Services.AddSingleton<UnremittedCashMonitor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UnremittedCashMonitor>());
        return builder;
    }
}
