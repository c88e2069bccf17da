using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Medins.PaymentCollection.Channels;

/// <summary>
/// One channel's settings (<c>PaymentCollection:Channels:&lt;code&gt;</c>, overlaid by <c>Channels:&lt;code&gt;</c>,
/// where the chart puts the keys from its Secret). Settings on the channel serve every merchant that sets none of
/// its own. What each key means depends on the channel:
/// <list type="bullet">
/// <item>wechat_pay: <c>SigningKey</c> the merchant's API private key, <c>SigningKeySerial</c> its certificate serial,
/// <c>ProviderPublicKey</c>/<c>ProviderKeySerial</c> the WeChat Pay platform key and its serial, <c>ApiV3Key</c>.</item>
/// <item>alipay: <c>SigningKey</c> the application's private key, <c>ProviderPublicKey</c> the Alipay public key.</item>
/// <item>bureau channels: <c>SharedKey</c>, the base64 HMAC-SHA256 key agreed with the channel.</item>
/// </list>
/// RSA keys are PEM or the base64 DER Alipay hands out (PKCS#8 private, SubjectPublicKeyInfo public).
/// </summary>
public class MerchantSettings
{
    /// <summary>WeChat Pay: the appid bound to the merchant, sent with each prepay and checked on notices.</summary>
    public string? AppId { get; set; }
    public string? SigningKey { get; set; }
    public string? SigningKeySerial { get; set; }
    public string? ProviderPublicKey { get; set; }
    public string? ProviderKeySerial { get; set; }
    public string? ApiV3Key { get; set; }
    public string? SharedKey { get; set; }
}

public sealed class ChannelAccountOptions : MerchantSettings
{
    /// <summary>Where the provider's API is (prepay and status query); notices need none.</summary>
    public string? BaseAddress { get; set; }

    /// <summary>The public address of this channel's notify endpoint, given to the provider with each prepay.</summary>
    public string? NotifyUrl { get; set; }

    /// <summary>How far a notice's signed timestamp may be from now (WeChat Pay and bureau channels).</summary>
    public int NoticeWindowSeconds { get; set; } = 300;

    /// <summary>The tenant's accounts at this channel, by merchant id (WeChat mchid, Alipay app_id, bureau merchant_id).</summary>
    public Dictionary<string, MerchantOptions> Merchants { get; set; } = new(StringComparer.Ordinal);
}

public sealed class MerchantOptions : MerchantSettings
{
    /// <summary>The tenant whose money this merchant account collects.</summary>
    public string? TenantId { get; set; }
}

public sealed class ChannelsOptions
{
    public const string Section = "PaymentCollection:Channels";

    /// <summary>Where deployments mount channel secrets (the chart's <c>Channels__</c> prefix).</summary>
    public const string SecretSection = "Channels";

    public Dictionary<string, ChannelAccountOptions> Accounts { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Reads <see cref="Section"/>, then overlays the payment channels' entries of <see cref="SecretSection"/>.</summary>
    public static void Bind(IConfiguration config, ChannelsOptions options)
    {
        config.GetSection(Section).Bind(options.Accounts);
        // The chart's channel Secret is shared with notification: only payment channel codes are ours.
        foreach (var code in PaymentChannels.WithAdapter)
        {
            var secrets = config.GetSection($"{SecretSection}:{code}");
            if (!secrets.Exists()) continue;
            if (!options.Accounts.TryGetValue(code, out var account)) options.Accounts[code] = account = new ChannelAccountOptions();
            secrets.Bind(account);
        }
    }
}

/// <summary>A merchant account with its keys resolved and decoded: what adapters sign and verify with.</summary>
public sealed record ChannelMerchant(string Channel, string MerchantId, string TenantId)
{
    public string? AppId { get; init; }
    /// <summary>PKCS#8 DER of our private key.</summary>
    public byte[]? SigningKey { get; init; }
    public string? SigningKeySerial { get; init; }
    /// <summary>SubjectPublicKeyInfo DER of the provider's public key.</summary>
    public byte[]? ProviderPublicKey { get; init; }
    public string? ProviderKeySerial { get; init; }
    public byte[]? ApiV3Key { get; init; }
    public byte[]? SharedKey { get; init; }

    public RSA SigningRsa()
    {
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(SigningKey ?? throw Missing(nameof(SigningKey)), out _);
        return rsa;
    }

    public RSA ProviderRsa()
    {
        var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(ProviderPublicKey ?? throw Missing(nameof(ProviderPublicKey)), out _);
        return rsa;
    }

    private InvalidOperationException Missing(string key) =>
        new($"Channel {Channel} merchant {MerchantId} has no {key}.");
}

/// <summary>One channel's resolved settings.</summary>
public sealed record ChannelAccount(string Channel, Uri? BaseAddress, string? NotifyUrl, TimeSpan NoticeWindow,
    IReadOnlyList<ChannelMerchant> Merchants)
{
    public ChannelMerchant? Merchant(string merchantId) => Merchants.FirstOrDefault(m => m.MerchantId == merchantId);

    /// <summary>The tenant's account at this channel; a tenant may have several, the first (by id) collects.</summary>
    public ChannelMerchant? MerchantOf(string tenantId) =>
        Merchants.Where(m => m.TenantId == tenantId).OrderBy(m => m.MerchantId, StringComparer.Ordinal).FirstOrDefault();
}

/// <summary>Turns settings into accounts, and says exactly what is wrong when it cannot.</summary>
public static class ChannelAccounts
{
    /// <summary>The keys each kind of channel needs on every merchant.</summary>
    private static readonly Dictionary<string, string[]> Required = new(StringComparer.Ordinal)
    {
        [PaymentChannels.WeChatPay] = [nameof(MerchantSettings.AppId), nameof(MerchantSettings.SigningKey), nameof(MerchantSettings.SigningKeySerial),
            nameof(MerchantSettings.ProviderPublicKey), nameof(MerchantSettings.ProviderKeySerial), nameof(MerchantSettings.ApiV3Key)],
        [PaymentChannels.Alipay] = [nameof(MerchantSettings.SigningKey), nameof(MerchantSettings.ProviderPublicKey)],
    };

    public static (IReadOnlyList<ChannelAccount> Accounts, IReadOnlyList<string> Problems) Resolve(ChannelsOptions options)
    {
        var accounts = new List<ChannelAccount>();
        var problems = new List<string>();
        foreach (var (code, account) in options.Accounts.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            var where = $"{ChannelsOptions.Section}:{code}";
            if (!PaymentChannels.WithAdapter.Contains(code))
            {
                problems.Add($"{where}: no adapter for channel '{code}' (known: {string.Join(", ", PaymentChannels.WithAdapter)}).");
                continue;
            }
            Uri? baseAddress = null;
            if (!string.IsNullOrWhiteSpace(account.BaseAddress)
                && (!Uri.TryCreate(account.BaseAddress, UriKind.Absolute, out baseAddress) || !baseAddress.AbsolutePath.EndsWith('/')))
                problems.Add($"{where}:BaseAddress must be an absolute http(s) address ending with '/'.");
            if (account.NoticeWindowSeconds <= 0)
                problems.Add($"{where}:NoticeWindowSeconds must be positive.");

            var merchants = new List<ChannelMerchant>();
            foreach (var (merchantId, merchant) in account.Merchants)
            {
                var at = $"{where}:Merchants:{merchantId}";
                var merchantProblems = new List<string>();
                if (string.IsNullOrWhiteSpace(merchant.TenantId)) merchantProblems.Add($"{at}:TenantId is required.");
                var keys = new MerchantSettings
                {
                    AppId = merchant.AppId ?? account.AppId,
                    SigningKey = merchant.SigningKey ?? account.SigningKey,
                    SigningKeySerial = merchant.SigningKeySerial ?? account.SigningKeySerial,
                    ProviderPublicKey = merchant.ProviderPublicKey ?? account.ProviderPublicKey,
                    ProviderKeySerial = merchant.ProviderKeySerial ?? account.ProviderKeySerial,
                    ApiV3Key = merchant.ApiV3Key ?? account.ApiV3Key,
                    SharedKey = merchant.SharedKey ?? account.SharedKey,
                };
                var required = Required.GetValueOrDefault(code) ?? [nameof(MerchantSettings.SharedKey)];
                foreach (var key in required)
                    if (string.IsNullOrWhiteSpace(typeof(MerchantSettings).GetProperty(key)!.GetValue(keys) as string))
                        merchantProblems.Add($"{at}:{key} is required (on the merchant or the channel).");

                var resolved = new ChannelMerchant(code, merchantId, merchant.TenantId?.Trim() ?? "")
                {
                    AppId = keys.AppId,
                    SigningKeySerial = keys.SigningKeySerial,
                    ProviderKeySerial = keys.ProviderKeySerial,
                    SigningKey = Decode(keys.SigningKey, at, nameof(keys.SigningKey), merchantProblems, PrivateKeyDer),
                    ProviderPublicKey = Decode(keys.ProviderPublicKey, at, nameof(keys.ProviderPublicKey), merchantProblems, PublicKeyDer),
                    ApiV3Key = Decode(keys.ApiV3Key, at, nameof(keys.ApiV3Key), merchantProblems, ApiV3KeyBytes),
                    SharedKey = Decode(keys.SharedKey, at, nameof(keys.SharedKey), merchantProblems, SharedKeyBytes),
                };
                problems.AddRange(merchantProblems);
                if (merchantProblems.Count == 0) merchants.Add(resolved);
            }
            accounts.Add(new ChannelAccount(code, baseAddress, account.NotifyUrl, TimeSpan.FromSeconds(account.NoticeWindowSeconds),
                merchants));
        }
        return (accounts, problems);
    }

    private static byte[]? Decode(string? value, string at, string key, List<string> problems, Func<string, byte[]> decode)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        try
        {
            return decode(value.Trim());
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException or ArgumentException)
        {
            problems.Add($"{at}:{key} cannot be read: {ex.Message}");
            return null;
        }
    }

    private static byte[] PrivateKeyDer(string value)
    {
        using var rsa = RSA.Create();
        if (value.Contains("-----BEGIN", StringComparison.Ordinal)) rsa.ImportFromPem(value);
        else rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(value), out _);
        return rsa.ExportPkcs8PrivateKey();
    }

    private static byte[] PublicKeyDer(string value)
    {
        using var rsa = RSA.Create();
        if (value.Contains("-----BEGIN", StringComparison.Ordinal)) rsa.ImportFromPem(value);
        else rsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(value), out _);
        return rsa.ExportSubjectPublicKeyInfo();
    }

    // WeChat Pay's APIv3 key is the 32 characters the merchant set in its console, used as the AES-256 key bytes.
    private static byte[] ApiV3KeyBytes(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        return bytes.Length == 32 ? bytes : throw new FormatException("the APIv3 key must be 32 characters.");
    }

    private static byte[] SharedKeyBytes(string value)
    {
        var bytes = Convert.FromBase64String(value);
        return bytes.Length >= 32 ? bytes : throw new FormatException("the shared key must be base64 of at least 32 bytes.");
    }
}

/// <summary>Refuses to start with channel settings an adapter could not work with.</summary>
internal sealed class ChannelsOptionsValidator : IValidateOptions<ChannelsOptions>
{
    public ValidateOptionsResult Validate(string? name, ChannelsOptions options)
    {
        var (_, problems) = ChannelAccounts.Resolve(options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
