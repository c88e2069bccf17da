using System.Security.Cryptography;
using System.Text.Json;

namespace Medins.ChannelSimulation;

/// <summary>One merchant account as the provider knows it, with the keys the provider holds for it.</summary>
public sealed record SimulatedMerchant(string Channel, string MerchantId, string TenantId)
{
    public string? AppId { get; init; }
    /// <summary>WeChat Pay / Alipay: the merchant's public key (SubjectPublicKeyInfo), to check its requests.</summary>
    public byte[]? MerchantPublicKey { get; init; }
    /// <summary>WeChat Pay / Alipay: the provider's own private key (PKCS#8), to sign answers and notices.</summary>
    public byte[]? ProviderPrivateKey { get; init; }
    public string? ProviderKeySerial { get; init; }
    public byte[]? ApiV3Key { get; init; }
    public byte[]? SharedKey { get; init; }
}

/// <summary>
/// The merchants and keys the simulated providers share with payment-collection, read from its settings
/// (<c>PaymentCollection:Channels</c>) the same way it reads them: settings on a merchant win over the channel's.
/// </summary>
public sealed class SimulatorSetup
{
    private SimulatorSetup(IReadOnlyList<SimulatedMerchant> merchants) => Merchants = merchants;

    public IReadOnlyList<SimulatedMerchant> Merchants { get; }

    /// <summary>payment-collection's appsettings.json as built into this assembly, with the demo provider keys.</summary>
    public static SimulatorSetup Demo { get; } = FromPaymentCollectionSettings(DemoSettingsJson(), DemoProviderKeys.All);

    /// <summary>The text of payment-collection's appsettings.json this simulator was built with.</summary>
    public static string DemoSettingsJson()
    {
        using var stream = typeof(SimulatorSetup).Assembly.GetManifestResourceStream("payment-collection.appsettings.json")!;
        return new StreamReader(stream).ReadToEnd();
    }

    /// <param name="settingsJson">A settings file holding <c>PaymentCollection:Channels</c>.</param>
    /// <param name="providerPrivateKeys">The providers' private keys (base64 PKCS#8); each configured provider
    /// public key must be the public half of one of them.</param>
    public static SimulatorSetup FromPaymentCollectionSettings(string settingsJson, IEnumerable<string> providerPrivateKeys)
    {
        var providerKeys = providerPrivateKeys.Select(Convert.FromBase64String).ToList();
        using var doc = JsonDocument.Parse(settingsJson, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var merchants = new List<SimulatedMerchant>();
        foreach (var channel in doc.RootElement.GetProperty("PaymentCollection").GetProperty("Channels").EnumerateObject())
        {
            if (!channel.Value.TryGetProperty("Merchants", out var list)) continue;
            foreach (var merchant in list.EnumerateObject())
            {
                string? Setting(string name) =>
                    merchant.Value.TryGetProperty(name, out var own) ? own.GetString()
                    : channel.Value.TryGetProperty(name, out var shared) ? shared.GetString() : null;

                var providerPublic = Setting("ProviderPublicKey") is { } p ? PublicKeyDer(p) : null;
                merchants.Add(new SimulatedMerchant(channel.Name, merchant.Name, Setting("TenantId")!)
                {
                    AppId = Setting("AppId"),
                    MerchantPublicKey = Setting("SigningKey") is { } s ? PublicHalf(s) : null,
                    ProviderPrivateKey = providerPublic is null ? null
                        : providerKeys.FirstOrDefault(k => PublicHalf(k).AsSpan().SequenceEqual(providerPublic))
                          ?? throw new InvalidOperationException(
                              $"The simulator holds no private key for {channel.Name}'s configured ProviderPublicKey."),
                    ProviderKeySerial = Setting("ProviderKeySerial"),
                    ApiV3Key = Setting("ApiV3Key") is { } v3 ? System.Text.Encoding.UTF8.GetBytes(v3) : null,
                    SharedKey = Setting("SharedKey") is { } shared ? Convert.FromBase64String(shared) : null,
                });
            }
        }
        return new SimulatorSetup(merchants);
    }

    public SimulatedMerchant MerchantOf(string channel, string tenantId) =>
        Merchants.Where(m => m.Channel == channel && m.TenantId == tenantId).OrderBy(m => m.MerchantId, StringComparer.Ordinal)
            .FirstOrDefault() ?? throw new InvalidOperationException($"No {channel} merchant is configured for tenant {tenantId}.");

    public SimulatedMerchant? Merchant(string channel, string merchantId) =>
        Merchants.FirstOrDefault(m => m.Channel == channel && m.MerchantId == merchantId);

    private static byte[] PublicHalf(string privateKey) => PublicHalf(Convert.FromBase64String(privateKey));

    private static byte[] PublicHalf(byte[] pkcs8)
    {
        using var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return rsa.ExportSubjectPublicKeyInfo();
    }

    private static byte[] PublicKeyDer(string publicKey)
    {
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(publicKey), out _);
        return rsa.ExportSubjectPublicKeyInfo();
    }
}
