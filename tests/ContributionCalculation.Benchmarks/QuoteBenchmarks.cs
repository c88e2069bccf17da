using BenchmarkDotNet.Attributes;
using Medins.ContributionCalculation.Domain;

namespace Medins.ContributionCalculation.Benchmarks;

/// <summary>
/// One quote under a shipped 2024 policy, for a few typical people: an ordinary resident, a subsidised resident
/// holding several identities, and a mid-year payer with a waiting period and surcharge. The policy is compiled
/// once, as the service does per published version.
/// </summary>
[MemoryDiagnoser]
public class QuoteBenchmarks
{
    private CompiledPolicy _lidu = null!;
    private CompiledPolicy _meishan = null!;
    private PersonFacts _ordinary = null!;
    private PersonFacts _subsidised = null!;
    private PersonFacts _midYear = null!;
    private PersonFacts _meishanVeteran = null!;

    [GlobalSetup]
    public void Setup()
    {
        _lidu = Load("cq-lidu-2024.jsonc");
        _meishan = Load("sc-meishan-2024.jsonc");
        _ordinary = new PersonFacts { CoverageYear = 2024, PaymentDate = new DateOnly(2023, 11, 20), BirthDate = new DateOnly(1970, 3, 1) };
        _subsidised = _ordinary with { Tier = 2, IdentityCodes = ["dibao", "family-planning-reward", "severe-disability"] };
        _midYear = _ordinary with { PaymentDate = new DateOnly(2024, 8, 15), Tier = 2 };
        _meishanVeteran = _ordinary with { IdentityCodes = ["993406", "2303", "9930"] };
    }

    private static CompiledPolicy Load(string file) =>
        CompiledPolicy.Load(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Policies", file)), file, 1);

    [Benchmark(Baseline = true)]
    public PricedQuote? OrdinaryResident() => _lidu.Quote(_ordinary).Quote;

    [Benchmark]
    public PricedQuote? SeveralIdentitiesHighestWins() => _lidu.Quote(_subsidised).Quote;

    [Benchmark]
    public PricedQuote? MidYearWithSurcharge() => _lidu.Quote(_midYear).Quote;

    [Benchmark]
    public PricedQuote? MeishanImportOrder() => _meishan.Quote(_meishanVeteran).Quote;
}
