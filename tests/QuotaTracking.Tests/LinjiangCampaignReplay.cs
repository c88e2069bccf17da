using Google.Protobuf.WellKnownTypes;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using Medins.QuotaTracking.Progress;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Medins.QuotaTracking.Tests;

/// <summary>
/// Replays Linjiang's December 2023 as events posted to the service: the demo task table (seed 002 attachment),
/// a synthetic month of payments (1–31 Dec) with full refunds a few days later, task reductions on evidence on
/// 15 Dec, and the weekly snapshots on each Monday of the rules (4, 11, 18, 25 Dec and 1 Jan). Each village ends
/// on one side of a reward band boundary. The generator keeps what it sent, so the counts, key groups, snapshots
/// and settlement are checked against the events themselves.
/// </summary>
public sealed class LinjiangCampaignReplay : IAsyncLifetime
{
    public const string Linjiang = "cq-linjiang";
    public const string Fund = "subsidy-fund";
    private const int Parallelism = 8;

    /// <summary>A village of the task table: how many people end enrolled, and how many reductions it gets.</summary>
    public sealed record VillagePlan(string Code, string Name, int Registered, int FinalEnrolled, int Reduced);

    // Seed 002 attachment: registered populations. Final counts chosen to sit on each side of the §二(四) boundaries.
    public static readonly IReadOnlyList<VillagePlan> Plans =
    [
        new("500118901201", "高滩村", 5027, 4826, 0),   // 96.0016%: one whole point above 95%
        new("500118901202", "桂林村", 2540, 2413, 0),   // exactly 95.00%
        new("500118901207", "普安村", 5198, 4938, 0),   // its task, 4938, is 94.998%: below 95%
        new("500118901208", "天堂村", 2668, 2491, 18),  // 2491 / 2650 = exactly 94.00%
        new("500118901209", "天星村", 3329, 3129, 0),   // 93.992%: just below 94%
        new("500118901203", "九龙村", 3412, 3162, 12),  // 3162 / 3400 = exactly 93.00%
        new("500118901210", "兴隆村", 3796, 3530, 0),   // 92.993%: just below 93%
        new("500118901001", "临江社区", 2358, 2162, 8), // 2162 / 2350 = exactly 92.00%
        new("500118901204", "龙安村", 2461, 2264, 0),   // 91.995%: just below 92%
        new("500118901206", "隆顺村", 3953, 3558, 0),   // 90.008%: just above 90%
        new("500118901205", "龙洞桥村", 2952, 2655, 2), // 2655 / 2950 = exactly 90.00%
    ];

    public static readonly DateOnly FirstDay = new(2023, 12, 1);
    public static readonly DateOnly LastDay = new(2023, 12, 31);

    /// <summary>One person's payment as sent, and the day of her refund if she was refunded.</summary>
    public sealed record SentPayment(ContributionPaid Paid, DateOnly Day, DateOnly? RefundDay);

    private readonly FakeTimeProvider _time = new(ShanghaiMorning(FirstDay));
    private TestDatabase _db = null!;
    private HttpClient _http = null!;

    public ServiceHost<Program> Host { get; private set; } = null!;
    public TestDatabase Database => _db;
    public List<SentPayment> Payments { get; } = [];
    /// <summary>Enrolled per village after each day's payments and refunds, as the generator sent them.</summary>
    public Dictionary<DateOnly, Dictionary<string, long>> EnrolledAfterDay { get; } = [];
    public List<TakenSnapshot> Snapshots { get; } = [];

    /// <summary>Enrolled per village by the start of <paramref name="day"/> (nobody before the first day).</summary>
    public Dictionary<string, long> EnrolledBefore(DateOnly day) =>
        day <= FirstDay ? Plans.ToDictionary(p => p.Code, _ => 0L) : EnrolledAfterDay[day.AddDays(-1)];

    public QuotaTrackingService.QuotaTrackingServiceClient Client() => new(Host.Channel(Linjiang, client: "linjiang-social-security-office"));

    private static DateTimeOffset ShanghaiMorning(DateOnly day, int hour = 0, int minute = 30) =>
        new DateTimeOffset(day.ToDateTime(new TimeOnly(hour, minute)), TimeSpan.FromHours(8)).ToUniversalTime();

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        Host = QuotaHost.Create(_db, _time);
        _http = Host.CreateClient();
        Generate();
        await ReplayAsync();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await Host.DisposeAsync();
        await _db.DisposeAsync();
    }

    /// <summary>
    /// Each village gets its final count plus one refunded person in a hundred. People: 3% 特困 (nothing to pay,
    /// 380 yuan subsidised), 5% 低保 (38 paid, 342 subsidised), 4% 返贫致贫/脱贫不稳定/边缘易致贫/突发严重困难/低保边缘
    /// (114 paid, 266 subsidised) — Linjiang's policy amounts (tier 1) — 10% students paying at school, the rest
    /// residents on the seven channels, a few on tier 2. Days weighted towards the end of the month.
    /// </summary>
    private void Generate()
    {
        var random = new Random(2024);
        string[] hardship = ["returned-to-poverty", "unstable-out-of-poverty", "edge-poverty", "sudden-hardship", "dibao-edge"];
        PaymentChannel[] channels =
        [
            PaymentChannel.WechatPay, PaymentChannel.Alipay, PaymentChannel.TaxEBureau, PaymentChannel.Yukuaiban,
            PaymentChannel.BankCounter, PaymentChannel.VillagePos, PaymentChannel.VillageCash,
        ];
        var days = Enumerable.Range(0, LastDay.DayNumber - FirstDay.DayNumber + 1).Select(FirstDay.AddDays).ToList();
        var weights = days.Select((_, i) => i + 5).ToList();
        var totalWeight = weights.Sum();

        foreach (var plan in Plans)
        {
            var refunded = plan.FinalEnrolled / 100;
            var people = plan.FinalEnrolled + refunded;
            for (var n = 0; n < people; n++)
            {
                var pick = random.Next(totalWeight);
                var day = days[^1];
                for (var i = 0; i < days.Count; i++)
                {
                    pick -= weights[i];
                    if (pick < 0) { day = days[i]; break; }
                }
                var roll = random.Next(100);
                var paidAt = ShanghaiMorning(day, 10);
                var paid = roll switch
                {
                    < 3 => ContributionEvents.Paid(Linjiang, plan.Code, 0, PaymentChannel.Unspecified, paidAt: paidAt,
                        lines: ContributionEvents.Line("tekun", Fund, 38000)),
                    < 8 => ContributionEvents.Paid(Linjiang, plan.Code, 3800, channels[random.Next(channels.Length)], paidAt: paidAt,
                        lines: ContributionEvents.Line("dibao", Fund, 34200)),
                    < 12 => ContributionEvents.Paid(Linjiang, plan.Code, 11400, channels[random.Next(channels.Length)], paidAt: paidAt,
                        lines: ContributionEvents.Line(hardship[random.Next(hardship.Length)], Fund, 26600)),
                    < 22 => ContributionEvents.Paid(Linjiang, plan.Code, 38000, PaymentChannel.School, "resident", paidAt),
                    < 28 => ContributionEvents.Paid(Linjiang, plan.Code, 75500, channels[random.Next(channels.Length)], paidAt: paidAt),
                    _ => ContributionEvents.Paid(Linjiang, plan.Code, 38000, channels[random.Next(channels.Length)], paidAt: paidAt),
                };
                if (paid.PersonalAmountFen == 75500) paid.Tier = 2;
                // The first `refunded` people of each village are refunded three days later (within December when possible).
                DateOnly? refundDay = n < refunded ? (day.AddDays(3) <= LastDay ? day.AddDays(3) : LastDay) : null;
                Payments.Add(new SentPayment(paid, day, refundDay));
            }
        }

        var enrolled = Plans.ToDictionary(p => p.Code, _ => 0L);
        foreach (var day in days)
        {
            foreach (var p in Payments.Where(p => p.Day == day)) enrolled[p.Paid.VillageCode]++;
            foreach (var p in Payments.Where(p => p.RefundDay == day)) enrolled[p.Paid.VillageCode]--;
            EnrolledAfterDay[day] = new Dictionary<string, long>(enrolled);
        }
    }

    private async Task ReplayAsync()
    {
        var taker = Host.Services.GetRequiredService<SnapshotTaker>();
        for (var day = FirstDay; day <= LastDay; day = day.AddDays(1))
        {
            // Mondays of the rules: the snapshot holds every event of the days before.
            _time.SetUtcNow(ShanghaiMorning(day));
            Snapshots.AddRange((await taker.TakeDueAsync(CancellationToken.None)).Where(s => s.TenantId == Linjiang));

            _time.SetUtcNow(ShanghaiMorning(day, 10));
            // The day's events in a shuffled order: villages interleave, as payments arrive from every channel at once.
            var shuffle = new Random(day.DayNumber);
            await PostAsync(Payments.Where(p => p.Day == day).OrderBy(_ => shuffle.Next())
                .Select(p => (EventTopics.ContributionPaid, (Google.Protobuf.IMessage)p.Paid)));
            await PostAsync(Payments.Where(p => p.RefundDay == day)
                .Select(p => (EventTopics.ContributionRefunded, (Google.Protobuf.IMessage)Refund(p.Paid, day))));

            if (day == new DateOnly(2023, 12, 15)) await ReduceTasksAsync();
        }
        _time.SetUtcNow(ShanghaiMorning(new DateOnly(2024, 1, 1)));
        Snapshots.AddRange((await taker.TakeDueAsync(CancellationToken.None)).Where(s => s.TenantId == Linjiang));
    }

    private static ContributionRefunded Refund(ContributionPaid paid, DateOnly day)
    {
        var refund = ContributionEvents.FullRefund(paid, reason: "employee-insurance");
        refund.RefundTime = Timestamp.FromDateTimeOffset(ShanghaiMorning(day, 10));
        return refund;
    }

    private Task PostAsync(IEnumerable<(string Topic, Google.Protobuf.IMessage Data)> events) =>
        Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = Parallelism },
            async (e, _) => await CloudEventPoster.DeliverAsync(_http, e.Topic, Linjiang, e.Data));

    /// <summary>Seed 002 §二(二): deregistration certificates and proofs of employee insurance, one per person.</summary>
    private async Task ReduceTasksAsync()
    {
        foreach (var plan in Plans.Where(p => p.Reduced > 0))
        {
            for (var i = 0; i < plan.Reduced; i++)
            {
                await Client().ReduceVillageTaskAsync(new ReduceVillageTaskRequest
                {
                    RequestId = $"reduce-{plan.Code}-{i}",
                    CoverageYear = 2024,
                    VillageCode = plan.Code,
                    PersonCount = 1,
                    Evidence = i % 3 == 0 ? ReductionEvidence.EmployeeInsurance : ReductionEvidence.DeregistrationCertificate,
                    EvidenceReference = $"永川-{plan.Code}-{i:D3}",
                });
            }
        }
    }
}
