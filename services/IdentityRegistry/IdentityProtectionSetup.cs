using Medins.IdentityRegistry.Domain;
using Microsoft.Extensions.Options;

namespace Medins.IdentityRegistry;

public static class IdentityProtectionSetup
{
    /// <summary>Binds the ID keys and refuses to start without usable ones, rather than fail on the first registration.</summary>
    public static IServiceCollection AddIdentityProtection(this IServiceCollection services)
    {
        services.AddOptions<IdentityProtectionOptions>().BindConfiguration(IdentityProtectionOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IdentityProtectionOptions>, IdentityProtectionOptionsValidator>();
        services.AddSingleton(sp => IdentityProtector.Create(sp.GetRequiredService<IOptions<IdentityProtectionOptions>>().Value));
        return services;
    }

    private sealed class IdentityProtectionOptionsValidator : IValidateOptions<IdentityProtectionOptions>
    {
        public ValidateOptionsResult Validate(string? name, IdentityProtectionOptions options) =>
            IdentityProtector.Validate(options) is { Count: > 0 } problems
                ? ValidateOptionsResult.Fail(problems)
                : ValidateOptionsResult.Success;
    }
}
