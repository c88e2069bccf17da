using System.Globalization;
using Medins.ContributionCalculation.Domain;

namespace Medins.ContributionCalculation.Tests.Policies;

/// <summary>The four shipped 2024 policy documents, read from the source tree, and helpers to state person facts briefly.</summary>
internal static class ShippedPolicies
{
    public const string LiduFile = "cq-lidu-2024.jsonc";
    public const string LinjiangFile = "cq-linjiang-2024.jsonc";
    public const string MeishanFile = "sc-meishan-2024.jsonc";
    public const string GaoyangFile = "he-gaoyang-2024.jsonc";
    public const string SchemaFile = "contribution-policy.schema.json";

    public static readonly string[] All = [LiduFile, LinjiangFile, MeishanFile, GaoyangFile];

    private static readonly Lazy<string> PolicyDirectory = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln")))
                return Path.Combine(dir.FullName, "services", "ContributionCalculation", "Policies");
        throw new InvalidOperationException("Platform.sln not found above the test output folder.");
    });

    public static string Text(string fileName) => File.ReadAllText(Path.Combine(PolicyDirectory.Value, fileName));

    public static CompiledPolicy Load(string fileName) =>
        CompiledPolicy.Load(Text(fileName), fileName.Replace(".jsonc", "-v1", StringComparison.Ordinal), 1);

    private static readonly Lazy<CompiledPolicy> LiduPolicy = new(() => Load(LiduFile));
    private static readonly Lazy<CompiledPolicy> LinjiangPolicy = new(() => Load(LinjiangFile));
    private static readonly Lazy<CompiledPolicy> MeishanPolicy = new(() => Load(MeishanFile));
    private static readonly Lazy<CompiledPolicy> GaoyangPolicy = new(() => Load(GaoyangFile));

    public static CompiledPolicy Lidu => LiduPolicy.Value;
    public static CompiledPolicy Linjiang => LinjiangPolicy.Value;
    public static CompiledPolicy Meishan => MeishanPolicy.Value;
    public static CompiledPolicy Gaoyang => GaoyangPolicy.Value;

    public static DateOnly Day(string yyyyMmDd) => DateOnly.ParseExact(yyyyMmDd, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// Facts for coverage year 2024. <paramref name="identities"/> is comma-separated; <paramref name="lifeEvent"/> is
    /// "kind@yyyy-MM-dd"; empty strings mean none.
    /// </summary>
    public static PersonFacts Facts(string pay, int tier = 0, string group = "", string identities = "", string lifeEvent = "",
        string birth = "", int? disabilityGrade = null) => new()
    {
        CoverageYear = 2024,
        Tier = tier,
        PaymentDate = Day(pay),
        PersonGroup = group,
        IdentityCodes = identities.Length == 0 ? [] : identities.Split(','),
        LifeEvent = lifeEvent.Length == 0 ? null : new LifeEventFact(lifeEvent.Split('@')[0], Day(lifeEvent.Split('@')[1])),
        BirthDate = birth.Length == 0 ? null : Day(birth),
        DisabilityGrade = disabilityGrade,
    };

    public static PricedQuote Priced(this QuoteOutcome outcome) =>
        outcome.Quote ?? throw new Xunit.Sdk.XunitException($"expected a priced quote, got {outcome.Refusal!.Reason}: {outcome.Refusal.Message}");

    public static QuoteRefusal Refused(this QuoteOutcome outcome) =>
        outcome.Refusal ?? throw new Xunit.Sdk.XunitException($"expected a refusal, got a quote of {outcome.Quote!.PersonalFen} fen: {outcome.Quote.Explanation}");

    public static DateOnly? OptionalDay(string yyyyMmDd) => yyyyMmDd.Length == 0 ? null : Day(yyyyMmDd);
}
