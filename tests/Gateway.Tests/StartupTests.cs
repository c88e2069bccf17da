using Medins.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Medins.Gateway.Tests;

/// <summary>Configuration the gateway refuses to start with, each with a message naming what to fix.</summary>
public sealed class StartupTests : IAsyncLifetime
{
    private EchoBackend? _backend;

    public async Task InitializeAsync() => _backend = await EchoBackend.StartAsync();

    public async Task DisposeAsync()
    {
        if (_backend is not null) await _backend.DisposeAsync();
    }

    private string Refusal(Dictionary<string, string?> settings)
    {
        var error = Assert.ThrowsAny<Exception>(() =>
        {
            using var host = GatewayHost.Start(_backend!, settings);
        });
        var validation = error as OptionsValidationException ?? error.InnerException as OptionsValidationException;
        Assert.NotNull(validation);
        return string.Join("\n", validation.Failures);
    }

    [Fact]
    public void Start_CredentialWithoutRoles_RefusedNamingTheCredential()
    {
        var failures = Refusal(new()
        {
            ["Gateway:Credentials:5:Name"] = "roleless",
            ["Gateway:Credentials:5:KeySha256"] = new string('e', 64),
            ["Gateway:Credentials:5:TenantId"] = "cq-lidu",
            ["Gateway:Credentials:5:Scope"] = "tenant",
        });

        Assert.Contains("Gateway:Credentials:5:Roles is required", failures);
    }

    [Fact]
    public void Start_CredentialWithUnknownRole_Refused()
    {
        var failures = Refusal(new() { ["Gateway:Credentials:4:Roles:2"] = "write" });

        Assert.Contains("Gateway:Credentials:4:Roles names 'write'", failures);
    }

    [Fact]
    public void Start_WithoutSigningKey_RefusedSayingTheGatewaySignsEveryCall()
    {
        var failures = Refusal(new() { ["Auth:SigningKey"] = "" });

        Assert.Contains("Auth:SigningKey is required", failures);
    }

    [Fact]
    public void Start_SigningKeyNotAnEcdsaKey_Refused()
    {
        var failures = Refusal(new() { ["Auth:SigningKey"] = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----" });

        Assert.Contains("Auth:SigningKey is not a usable", failures);
    }

    [Fact]
    public void Start_TokenKeyWithoutIssuer_Refused()
    {
        var failures = Refusal(new() { ["Gateway:TokenSigningKey"] = TestTokens.SigningKeyBase64 });

        Assert.Contains("Gateway:TokenIssuer is required", failures);
    }

    [Fact]
    public void Start_RateLimitKeysOfTheOldShape_RefusedNamingTheNewOnes()
    {
        var failures = Refusal(new() { ["Gateway:RateLimit:PermitsPerSecond"] = "100" });

        Assert.Contains("Gateway:RateLimit:PerTenant:Permits", failures);
    }
}
