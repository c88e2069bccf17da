using System.Text.RegularExpressions;

namespace Medins.Platform.Hosting.Tests.Errors;

/// <summary>
/// Every reason code in the source of the services and the gateway has a zh-CN text in <see cref="ClerkMessages"/>.
/// Reasons are found as every SCREAMING_SNAKE string literal, wherever it is written (a call, a constant, a
/// domain exception, a switch), so none escapes by the way it reaches an error; the few such literals that are not
/// reasons (providers' trade states, algorithm names, stored states) are listed here by name. A new reason without
/// a text, or a new literal of that shape, fails this test until it is added to one list or the other.
/// </summary>
public sealed partial class ClerkCatalogCoverageTests
{
    private static readonly HashSet<string> NotReasons = new(StringComparer.Ordinal)
    {
        // HTTP methods and header values, encodings, key and signature algorithms
        "POST", "DENY", "JSON", "GB18030", "HS256", "ES256", "RSA2", "AEAD_AES_256_GCM",
        // Payment providers' own vocabularies (trade states, pay types, callback events)
        "SUCCESS", "FAIL", "TRADE_SUCCESS", "TRADE_FINISHED", "WAIT_BUYER_PAY", "USERPAYING", "NOTPAY", "REFUND", "JSAPI",
        "TEMPLATESENDJOBFINISH", "WECHAT",
        // Stored or reported states and kinds (messages, campaigns, identities, residents, recipients)
        "PENDING", "PAID", "SKIPPED", "SENT", "SENDING", "SCHEDULED", "DELIVERED", "FAILED", "RETRY",
        "DROP", "REVOKED", "COMPLETED", "DECEASED", "DEREGISTERED", "RESIDENT", "OFFICIAL", "VILLAGE_HEAD", "TOWNSHIP_LEADER",
        "LETTER", "REMINDERS", "ORIGINAL", "OTHERS", "NONE",
        // SQL keywords, prefixes of enum names read by prefix
        "CREATE", "ALTER", "PAYMENT_CHANNEL_", "SKIP_REASON_",
        // A refund the policy allows: an answer, never an error
        "REFUND_ALLOWED",
    };

    [GeneratedRegex("\"([A-Z][A-Z0-9]*(?:_[A-Z0-9]*)*)\"")]
    private static partial Regex UpperSnakeLiteral();

    [Fact]
    public void Catalog_EveryReasonInTheSource_HasAZhCnText()
    {
        var root = RepositoryRoot();
        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var folder in new[] { "services", "gateway" })
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                    || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")) continue;
                foreach (Match match in UpperSnakeLiteral().Matches(File.ReadAllText(file)))
                {
                    var literal = match.Groups[1].Value;
                    if (literal.Length >= 4) found.TryAdd(literal, Path.GetRelativePath(root, file));
                }
            }

        // The scan must see the reasons it is meant to see, or it proves nothing.
        Assert.Contains("AMOUNT_MISMATCH", found.Keys);
        Assert.Contains("ROUTE_NOT_FOUND", found.Keys);
        Assert.Contains("INVALID_REQUEST", found.Keys);
        var missing = found.Where(f => !NotReasons.Contains(f.Key) && !ClerkMessages.ByReason.ContainsKey(f.Key))
            .Select(f => $"{f.Key} ({f.Value})").ToList();
        Assert.True(missing.Count == 0,
            "Reason codes without a zh-CN text in ClerkMessages (add one, or list the literal in NotReasons if it is no reason):\n"
            + string.Join("\n", missing));
    }

    [Fact]
    public void Catalog_EveryText_ChineseWithANextStepOrAStatementAndNoInternalNames()
    {
        foreach (var (reason, text) in ClerkMessages.ByReason)
        {
            Assert.True(text.Any(c => c is >= '\u4e00' and <= '\u9fff'), $"{reason}: not Chinese");
            Assert.True(text.EndsWith('。'), $"{reason}: not a whole sentence");
            Assert.DoesNotMatch("[A-Z]{2,}_[A-Z]", text); // no reason codes or enum identifiers
            Assert.DoesNotContain("fen", text);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) return dir.FullName;
        throw new InvalidOperationException("Platform.sln not found above the test's output folder.");
    }
}
