using Grpc.Core;
using Medins.Contribution.V1;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Testing;
using IdentityLifeEventKind = Medins.Identity.V1.LifeEventKind;
using QuoteLifeEventKind = Medins.Contribution.V1.LifeEventKind;

namespace Medins.PaymentCollection.Tests;

/// <summary>
/// An order is priced from the registry's facts alone: for generated residents of every tenant (birth dates, person
/// groups, identities, disability grades, life events, payment days), the order payment-collection opens equals what
/// contribution-calculation quotes for the same facts asked directly — or both refuse for the same reason. The facts
/// the registry of this version cannot record yet come through <see cref="FactsIdentityRegistry"/>.
/// </summary>
public sealed class RegistryFactsPricingPropertyTests : IAsyncLifetime
{
    private static readonly (string Tenant, string Village, string[] Groups, string[] Codes)[] Tenants =
    [
        ("he-gaoyang", "130628901001", ["", "university-student-elsewhere"],
            ["tekun", "dibao", "stable-out-of-poverty", "edge-poverty", "county-designated-hardship"]),
        ("cq-lidu", "500102901001", ["", "university-student"],
            ["tekun", "dibao", "edge-poverty", "severe-disability", "hardship-university-student", "veteran-at-home",
             "family-planning-reward"]),
        ("cq-linjiang", "500118901001", [""], ["tekun", "dibao", "dibao-edge", "edge-poverty", "entitled-group"]),
        ("sc-meishan-dongpo", "511402901201", [""], ["2304", "2303", "2305", "993406", "236046", "9931"]),
    ];

    // Asia/Shanghai 10:00 on days across the 2024 collection year: concentrated periods, mid-year months, Gaoyang's
    // settlement days (26th to month end) and the last quarter.
    private static readonly DateOnly[] PaymentDays =
    [
        new(2023, 11, 20), new(2023, 12, 28), new(2024, 1, 10), new(2024, 2, 27), new(2024, 3, 15), new(2024, 5, 20),
        new(2024, 7, 10), new(2024, 8, 27), new(2024, 10, 15), new(2024, 12, 10),
    ];

    private static readonly IdentityLifeEventKind[] EventKinds =
    [
        IdentityLifeEventKind.EmployeeInsuranceEnded, IdentityLifeEventKind.TransferIn, IdentityLifeEventKind.NewHousehold,
        IdentityLifeEventKind.Release, IdentityLifeEventKind.Discharge,
        // Not a pricing event: must never reach the quote.
        IdentityLifeEventKind.EmployeeInsurance,
    ];

    private PaymentPlatform _p = null!;

    public async Task InitializeAsync() => _p = await PaymentPlatform.StartAsync(registryFacts: true);

    public async Task DisposeAsync() => await _p.DisposeAsync();

    private sealed record Facts(DateOnly Birth, string Group, DateOnly? Admission, int Grade, string[] Codes,
        (IdentityLifeEventKind Kind, DateOnly Date)[] Events);

    [Fact]
    public async Task CreatePaymentOrder_GeneratedResidentsOfEveryTenant_OrderEqualsQuoteForTheSameFacts()
    {
        var random = new Random(16);
        var compared = 0;
        var priced = 0;
        var withEvent = 0;
        foreach (var day in PaymentDays)
        {
            _p.Clock.SetUtcNow(new DateTimeOffset(day.ToDateTime(new TimeOnly(2, 0)), TimeSpan.Zero));
            foreach (var (tenant, village, groups, codes) in Tenants)
                for (var i = 0; i < 2; i++)
                {
                    var facts = Generate(random, day, groups, codes);
                    var residentId = await _p.RegisterResidentAsync(tenant, village, facts.Birth);
                    SetFacts(residentId, facts);

                    var expected = ExpectedRequest(facts, day);
                    if (expected.LifeEvent is not null && expected.LifeEvent.Kind != QuoteLifeEventKind.Newborn) withEvent++;
                    var (quote, quoteError) = await Capture(() =>
                        _p.Calculation(tenant).QuoteContributionAsync(expected).ResponseAsync);
                    var (order, orderError) = await Capture(() => _p.Client(tenant).CreatePaymentOrderAsync(
                        new CreatePaymentOrderRequest
                        {
                            RequestId = Guid.NewGuid().ToString(), ResidentId = residentId, CoverageYear = 2024,
                            Channel = PaymentChannel.WechatPay,
                        }).ResponseAsync);

                    var context = $"{tenant} paying {day:yyyy-MM-dd}: born {facts.Birth:yyyy-MM-dd}, group '{facts.Group}', "
                                  + $"admitted {facts.Admission:yyyy-MM-dd}, grade {facts.Grade}, codes [{string.Join(",", facts.Codes)}], "
                                  + $"events [{string.Join(", ", facts.Events.Select(e => $"{e.Kind} {e.Date:yyyy-MM-dd}"))}]";
                    if (quoteError is not null)
                    {
                        Assert.True(orderError is not null, $"{context}: quote refused ({quoteError.Status.Detail}) but order opened");
                        Assert.Equal(quoteError.StatusCode, orderError!.StatusCode);
                        Assert.Equal(RpcErrors.ReasonOf(quoteError), RpcErrors.ReasonOf(orderError));
                    }
                    else
                    {
                        Assert.True(orderError is null, $"{context}: quoted but order refused: {orderError?.Status.Detail}");
                        AssertOrderIsQuote(quote!.Quote, order!.Order, context);
                        priced++;
                    }
                    compared++;
                }
        }
        // The generator reaches both outcomes and the life-event rules, else the property proves little.
        Assert.Equal(PaymentDays.Length * Tenants.Length * 2, compared);
        Assert.InRange(priced, compared / 3, compared - 1);
        Assert.True(withEvent >= 10, $"only {withEvent} orders governed by a recorded life event or admission");
    }

    [Fact]
    public async Task CreateHouseholdPaymentOrder_GeneratedHouseholdsOfEveryTenant_EachMemberOrderEqualsHerQuote()
    {
        var random = new Random(1616);
        var households = 0;
        var priced = 0;
        foreach (var day in PaymentDays.Where((_, i) => i % 2 == 0))
        {
            _p.Clock.SetUtcNow(new DateTimeOffset(day.ToDateTime(new TimeOnly(2, 0)), TimeSpan.Zero));
            foreach (var (tenant, village, groups, codes) in Tenants)
            {
                var number = $"GEN-{households++:D4}";
                await _p.Registry(tenant).RecordHouseholdAsync(new RecordHouseholdRequest
                {
                    RequestId = Guid.NewGuid().ToString(), HouseholdNumber = number, VillageCode = village, BookletMemberCount = 3,
                });
                var members = new List<(string Id, Facts Facts)>();
                for (var i = 0; i < 3; i++)
                {
                    var facts = Generate(random, day, groups, codes);
                    var (id, _) = await _p.RegisterResidentWithIdAsync(tenant, village, facts.Birth, number,
                        i == 0 ? HouseholdRelationship.Head : HouseholdRelationship.Child);
                    SetFacts(id, facts);
                    members.Add((id, facts));
                }

                var quotes = new List<(Quote? Quote, RpcException? Error)>();
                foreach (var (_, facts) in members)
                    quotes.Add(await Capture(async () =>
                        (await _p.Calculation(tenant).QuoteContributionAsync(ExpectedRequest(facts, day))).Quote));
                var (order, orderError) = await Capture(() => _p.Client(tenant).CreateHouseholdPaymentOrderAsync(
                    new CreateHouseholdPaymentOrderRequest
                    {
                        RequestId = Guid.NewGuid().ToString(), HouseholdNumber = number, CoverageYear = 2024,
                        Channel = PaymentChannel.VillagePos,
                    }).ResponseAsync);

                var context = $"{tenant} household {number} paying {day:yyyy-MM-dd}";
                if (quotes.Any(q => q.Error is not null))
                {
                    Assert.True(orderError is not null, $"{context}: a member's quote is refused but the household order opened");
                    Assert.Contains(RpcErrors.ReasonOf(orderError!), quotes.Where(q => q.Error is not null)
                        .Select(q => RpcErrors.ReasonOf(q.Error!)));
                    continue;
                }
                Assert.True(orderError is null, $"{context}: every member quoted but the order refused: {orderError?.Status.Detail}");
                foreach (var ((id, _), (quote, _)) in members.Zip(quotes))
                    AssertOrderIsQuote(quote!, order!.HouseholdOrder.MemberOrders.Single(o => o.ResidentId == id), context);
                Assert.Equal(quotes.Sum(q => q.Quote!.PersonalAmountFen), order!.HouseholdOrder.TotalPersonalAmountFen);
                priced++;
            }
        }
        Assert.InRange(priced, 2, households - 1);
    }

    private void SetFacts(string residentId, Facts facts) => _p.Facts.Set(residentId,
        facts.Group.Length == 0 && facts.Admission is null
            ? null
            : new PersonGroupMembership { PersonGroup = facts.Group, School = "示例大学", AdmissionDate = facts.Admission?.ToProtoDate() },
        facts.Grade,
        facts.Codes.Select(c => new CertifiedIdentity { Category = c, ValidFrom = new DateOnly(2023, 1, 1).ToProtoDate() }),
        facts.Events.Select(e => new Identity.V1.LifeEvent
        {
            LifeEventId = Guid.NewGuid().ToString(), ResidentId = residentId, Kind = e.Kind, OccurredDate = e.Date.ToProtoDate(),
        }));

    private static void AssertOrderIsQuote(Quote quote, Payment.V1.PaymentOrder order, string context)
    {
        Assert.True(quote.PersonalAmountFen == order.PersonalAmountFen,
            $"{context}: order {order.PersonalAmountFen} fen, quote {quote.PersonalAmountFen} fen ({quote.Explanation})");
        Assert.Equal(quote.SubsidyAmountFen, order.SubsidyAmountFen);
        Assert.Equal(quote.Tier, order.Tier);
        Assert.Equal(quote.PolicyId, order.PolicyId);
        Assert.Equal(quote.PolicyVersion, order.PolicyVersion);
        Assert.True(quote.BenefitStartDate.Equals(order.BenefitStartDate),
            $"{context}: order starts {order.BenefitStartDate}, quote {quote.BenefitStartDate} ({quote.Explanation})");
        Assert.Equal(quote.BenefitEndDate, order.BenefitEndDate);
        Assert.Equal(
            quote.Lines.Where(l => l.Kind == "subsidy").Select(l => (l.Category, l.FundingSource, l.AmountFen)),
            order.SubsidyLines.Select(l => (l.Category, l.FundingSource, l.AmountFen)));
    }

    private static Facts Generate(Random random, DateOnly day, string[] groups, string[] codes)
    {
        var birth = random.Next(5) switch
        {
            0 => day.AddDays(-random.Next(0, 400)), // a newborn, within or past the windows
            1 => day.AddYears(-random.Next(2, 18)).AddDays(-random.Next(365)),
            2 => day.AddYears(-random.Next(18, 24)).AddDays(-random.Next(365)),
            3 => day.AddYears(-random.Next(60, 90)).AddDays(-random.Next(365)),
            _ => day.AddYears(-random.Next(24, 60)).AddDays(-random.Next(365)),
        };
        var group = groups[random.Next(groups.Length)];
        DateOnly? admission = group.Length > 0 && random.Next(2) == 0 ? day.AddDays(-random.Next(0, 120)) : null;
        var grade = random.Next(3) == 0 ? random.Next(1, 5) : 0;
        var held = random.Next(3) == 0 ? [] : codes.OrderBy(_ => random.Next()).Take(random.Next(1, 3)).ToArray();
        var events = Enumerable.Range(0, random.Next(0, 3))
            .Select(_ => (EventKinds[random.Next(EventKinds.Length)], day.AddDays(random.Next(-200, 20))))
            .ToArray();
        return new Facts(birth, group, admission, grade, held, events);
    }

    /// <summary>
    /// The quote for the same facts, built here from the generated facts: the life event is the latest on or before the
    /// payment day among the recorded ones that change when benefits start, her birth and her admission (ties: the
    /// recorded event, then birth, then admission).
    /// </summary>
    private static QuoteContributionRequest ExpectedRequest(Facts facts, DateOnly day)
    {
        var candidates = facts.Events
            .Where(e => e.Kind != IdentityLifeEventKind.EmployeeInsurance)
            .OrderBy(e => e.Date)
            .Select(e => (e.Date, Kind: e.Kind switch
            {
                IdentityLifeEventKind.EmployeeInsuranceEnded => QuoteLifeEventKind.EmployeeInsuranceLapse,
                IdentityLifeEventKind.TransferIn => QuoteLifeEventKind.TransferIn,
                IdentityLifeEventKind.NewHousehold => QuoteLifeEventKind.NewHousehold,
                IdentityLifeEventKind.Release => QuoteLifeEventKind.ReleasedFromPrison,
                _ => QuoteLifeEventKind.DischargedFromArmy,
            }))
            .Append((facts.Birth, QuoteLifeEventKind.Newborn))
            .Concat(facts.Admission is { } admitted ? [(admitted, QuoteLifeEventKind.NewStudent)] : [])
            .Where(c => c.Item1 <= day)
            .ToList();
        var latest = candidates.Max(c => c.Item1);
        var governing = candidates.First(c => c.Item1 == latest);
        return new QuoteContributionRequest
        {
            CoverageYear = 2024,
            BirthDate = facts.Birth.ToProtoDate(),
            PaymentDate = day.ToProtoDate(),
            PersonGroup = facts.Group,
            DisabilityGrade = facts.Grade,
            IdentityCodes = { facts.Codes },
            LifeEvent = new Contribution.V1.LifeEvent { Kind = governing.Item2, Date = governing.Item1.ToProtoDate() },
        };
    }

    private static async Task<(T? Value, RpcException? Error)> Capture<T>(Func<Task<T>> call) where T : class
    {
        try
        {
            return (await call(), null);
        }
        catch (RpcException ex)
        {
            return (null, ex);
        }
    }
}
