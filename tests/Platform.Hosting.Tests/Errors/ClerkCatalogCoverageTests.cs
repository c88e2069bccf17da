using System.Text.RegularExpressions;

namespace Medins.Platform.Hosting.Tests.Errors;

/// <summary>
/// Every reason code has a zh-CN text in <see cref="ClerkMessages"/>: every value of every <c>ErrorReason</c> proto
/// enum (where reasons are declared, once per service), and every SCREAMING_SNAKE string literal, wherever it is written (a call, a constant, a
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
        "CREATE", "ALTER", "PAYMENT_CHANNEL_", "SKIP_REASON_", "ERROR_REASON_",
        // A refund the policy allows: an answer, never an error
        "REFUND_ALLOWED",
    };

    [GeneratedRegex("\"([A-Z][A-Z0-9]*(?:_[A-Z0-9]*)*)\"")]
    private static partial Regex UpperSnakeLiteral();

    /// <summary>Every ErrorReason enum of the contracts, with its proto package.</summary>
    private static IEnumerable<(string Package, Type Enum)> ErrorReasonEnums() =>
        typeof(Medins.Platform.V1.ErrorReason).Assembly.GetTypes()
            .Where(t => t is { IsEnum: true, Name: "ErrorReason" })
            .Select(t => (t.Namespace!, t));

    /// <summary>SCREAMING_SNAKE literals of the services' and the gateway's source, with the first file of each.</summary>
    private static SortedDictionary<string, string> LiteralsInTheSource(bool withCatalog)
    {
        var root = RepositoryRoot();
        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var folder in new[] { "services", "gateway" })
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                    || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")
                    || (!withCatalog && Path.GetFileName(file) == "ClerkMessages.cs")) continue;
                foreach (Match match in UpperSnakeLiteral().Matches(File.ReadAllText(file)))
                {
                    var literal = match.Groups[1].Value;
                    if (literal.Length >= 4) found.TryAdd(literal, Path.GetRelativePath(root, file));
                }
            }
        return found;
    }

    [Fact]
    public void ErrorReasonEnums_EveryService_DeclaresItsReasonsOnceWithoutCopiesInTheSource()
    {
        var enums = ErrorReasonEnums().ToList();
        // One per service that raises errors, the shared hosting's and the gateway's.
        Assert.Equal(["Medins.Contribution.V1", "Medins.Gateway.V1", "Medins.Identity.V1", "Medins.Notification.V1",
            "Medins.Payment.V1", "Medins.Platform.V1", "Medins.Quota.V1"], enums.Select(e => e.Package).Order(StringComparer.Ordinal));
        var declaredBy = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (package, type) in enums)
            foreach (var code in ErrorReasons.All(type))
                (declaredBy.TryGetValue(code, out var list) ? list : declaredBy[code] = []).Add(package);

        // A reason of the shared hosting is not declared again by a service (the gateway's UPSTREAM_UNAVAILABLE is its own).
        var redeclared = declaredBy.Where(d => d.Value.Contains("Medins.Platform.V1") && d.Value.Count > 1
                                               && !(d.Key == "UPSTREAM_UNAVAILABLE" && d.Value.Count == 2 && d.Value.Contains("Medins.Gateway.V1")))
            .Select(d => $"{d.Key}: {string.Join(", ", d.Value)}").ToList();
        Assert.True(redeclared.Count == 0, "Reasons of the shared hosting declared again:\n" + string.Join("\n", redeclared));

        // The code names a reason by its enum value; a literal copy would drift from the contract. Contribution's
        // refund decision (DecideRefundResponse.decision_reason) is a response value of its own vocabulary, which
        // payment-collection's refusal happens to share.
        string[] responseValues = ["NOTHING_TO_REFUND"];
        var copies = LiteralsInTheSource(withCatalog: false).Where(l => declaredBy.ContainsKey(l.Key) && !responseValues.Contains(l.Key))
            .Select(l => $"{l.Key} ({l.Value})").ToList();
        Assert.True(copies.Count == 0, "Reason codes written as string literals (use the ErrorReason enum value):\n" + string.Join("\n", copies));
    }

    [Fact]
    public void Catalog_EveryReasonInTheSource_HasAZhCnText()
    {
        var found = LiteralsInTheSource(withCatalog: true);
        foreach (var (package, type) in ErrorReasonEnums())
            foreach (var code in ErrorReasons.All(type)) found.TryAdd(code, package);

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
