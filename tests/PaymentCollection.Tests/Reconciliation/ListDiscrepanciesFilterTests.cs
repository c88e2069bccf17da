using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.PaymentCollection.Reconciliation.Statements;
using Medins.Platform.Hosting;
using static Medins.PaymentCollection.Tests.Reconciliation.ReconciliationHarness;

namespace Medins.PaymentCollection.Tests.Reconciliation;

/// <summary>
/// Discrepancies of three statements of Lidu: WeChat Pay's of the campaign day (one of each kind), Alipay's of the
/// same day (an unknown payment, and the platform's Alipay payment it omits) and WeChat Pay's of the next day (an
/// unknown payment, and the next morning's payment it omits).
/// </summary>
public sealed class DiscrepancyFilterSet : IAsyncLifetime
{
    public ReconciliationHarness Harness { get; private set; } = null!;

    /// <summary>Every discrepancy, in list order.</summary>
    public IReadOnlyList<Discrepancy> All { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Harness = await ReconciliationHarness.StartAsync();
        var day = await Harness.ArrangeWeChatDayAsync();
        await Harness.ImportAsync(PaymentChannel.WechatPay, Day, WeChatTradeBill.Write(day.Entries));
        await Harness.ImportAsync(PaymentChannel.Alipay, Day, AlipayTradeStatement.Write(Day,
            [new StatementEntry(StatementLineKind.Payment, "ali-unknown", 38000, At(Day, 11))]));
        Harness.MoveClockTo(Day.AddDays(2), 8);
        await Harness.ImportAsync(PaymentChannel.WechatPay, Day.AddDays(1), WeChatTradeBill.Write(
            [new StatementEntry(StatementLineKind.Payment, "wx-unknown-2", 38000, At(Day.AddDays(1), 11))]));
        All = await Harness.DiscrepanciesAsync();
    }

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}

public sealed class ListDiscrepanciesFilterTests(DiscrepancyFilterSet set) : IClassFixture<DiscrepancyFilterSet>
{
    private static Google.Type.Date Date(DateOnly day) => new() { Year = day.Year, Month = day.Month, Day = day.Day };

    private async Task<List<string>> ListAllAsync(ListDiscrepanciesRequest request)
    {
        var ids = new List<string>();
        do
        {
            var page = await set.Harness.Client().ListDiscrepanciesAsync(request);
            ids.AddRange(page.Discrepancies.Select(d => d.DiscrepancyId));
            request.PageToken = page.NextPageToken;
        } while (request.PageToken.Length > 0);
        return ids;
    }

    private List<string> Where(Func<Discrepancy, bool> predicate) => [.. set.All.Where(predicate).Select(d => d.DiscrepancyId)];

    [Fact]
    public void DiscrepancyFilterSet_Arranged_ThreeStatementsTwoDaysEveryKind()
    {
        var shape = set.All.Select(d => (d.StatementDate.ToDateOnly(), d.Channel, d.Kind, d.ChannelTransactionId)).Order().ToList();

        Assert.Equal(
        [
            (Day, PaymentChannel.WechatPay, DiscrepancyKind.MissingHere, "wx-unknown"),
            (Day, PaymentChannel.WechatPay, DiscrepancyKind.MissingThere, "wx-unlisted"),
            (Day, PaymentChannel.WechatPay, DiscrepancyKind.AmountDifference, "wx-differs"),
            (Day, PaymentChannel.Alipay, DiscrepancyKind.MissingHere, "ali-unknown"),
            (Day, PaymentChannel.Alipay, DiscrepancyKind.MissingThere, "ali-1"),
            (Day.AddDays(1), PaymentChannel.WechatPay, DiscrepancyKind.MissingHere, "wx-unknown-2"),
            (Day.AddDays(1), PaymentChannel.WechatPay, DiscrepancyKind.MissingThere, "wx-next-day"),
        ], shape.Select(s => (s.Item1!.Value, s.Channel, s.Kind, s.ChannelTransactionId)).ToList());
    }

    [Fact]
    public async Task ListDiscrepancies_ByStatementDateRange_InclusiveBothEnds()
    {
        var campaignDay = Where(d => d.StatementDate.ToDateOnly() == Day);
        var nextDay = Where(d => d.StatementDate.ToDateOnly() == Day.AddDays(1));

        Assert.Equal(5, campaignDay.Count);
        Assert.Equal(campaignDay, await ListAllAsync(new() { StatementDateFrom = Date(Day), StatementDateTo = Date(Day) }));
        Assert.Equal(campaignDay, await ListAllAsync(new() { StatementDateTo = Date(Day) }));
        Assert.Equal(nextDay, await ListAllAsync(new() { StatementDateFrom = Date(Day.AddDays(1)) }));
        Assert.Equal(Where(_ => true), await ListAllAsync(new() { StatementDateFrom = Date(Day), StatementDateTo = Date(Day.AddDays(1)) }));
        Assert.Empty(await ListAllAsync(new() { StatementDateFrom = Date(Day.AddDays(2)) }));
        Assert.Empty(await ListAllAsync(new() { StatementDateTo = Date(Day.AddDays(-1)) }));
    }

    [Theory]
    [InlineData(DiscrepancyKind.MissingHere, 3)]
    [InlineData(DiscrepancyKind.MissingThere, 3)]
    [InlineData(DiscrepancyKind.AmountDifference, 1)]
    public async Task ListDiscrepancies_ByKind_ExactlyThatKind(DiscrepancyKind kind, int count)
    {
        var listed = await ListAllAsync(new() { Kind = kind });

        Assert.Equal(Where(d => d.Kind == kind), listed);
        Assert.Equal(count, listed.Count);
    }

    [Fact]
    public async Task ListDiscrepancies_KindDateAndChannelTogether_OnlyMatchingEvery()
    {
        Assert.Equal(Where(d => d.ChannelTransactionId == "wx-next-day"), await ListAllAsync(new()
        {
            Kind = DiscrepancyKind.MissingThere, StatementDateFrom = Date(Day.AddDays(1)), Channel = PaymentChannel.WechatPay,
        }));
        Assert.Equal(Where(d => d.ChannelTransactionId == "ali-unknown"), await ListAllAsync(new()
        {
            Kind = DiscrepancyKind.MissingHere, StatementDateTo = Date(Day), Channel = PaymentChannel.Alipay,
            State = DiscrepancyState.Open,
        }));
    }

    [Fact]
    public async Task ListDiscrepancies_FilteredPagesOfTwo_EveryMatchOnceInOrder()
    {
        var request = new ListDiscrepanciesRequest { Kind = DiscrepancyKind.MissingHere, StatementDateFrom = Date(Day), PageSize = 2 };
        var pages = 0;
        var listed = new List<string>();
        do
        {
            var page = await set.Harness.Client().ListDiscrepanciesAsync(request);
            Assert.True(page.Discrepancies.Count <= 2);
            listed.AddRange(page.Discrepancies.Select(d => d.DiscrepancyId));
            request.PageToken = page.NextPageToken;
            pages++;
        } while (request.PageToken.Length > 0);

        Assert.Equal(Where(d => d.Kind == DiscrepancyKind.MissingHere), listed);
        Assert.Equal(2, pages);
    }

    [Fact]
    public async Task ListDiscrepancies_TokenWithOtherFilters_InvalidPageToken()
    {
        var first = await set.Harness.Client().ListDiscrepanciesAsync(new() { StatementDateFrom = Date(Day), PageSize = 1 });
        Assert.NotEqual("", first.NextPageToken);

        foreach (var other in new ListDiscrepanciesRequest[]
                 {
                     new(),
                     new() { StatementDateFrom = Date(Day.AddDays(1)) },
                     new() { StatementDateFrom = Date(Day), StatementDateTo = Date(Day) },
                     new() { StatementDateFrom = Date(Day), Kind = DiscrepancyKind.MissingHere },
                 })
        {
            other.PageSize = 1;
            other.PageToken = first.NextPageToken;
            var ex = await Assert.ThrowsAsync<RpcException>(() => set.Harness.Client().ListDiscrepanciesAsync(other).ResponseAsync);

            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.Equal("INVALID_PAGE_TOKEN", RpcErrors.ReasonOf(ex));
            Assert.Equal("page_token", Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        }
    }

    [Fact]
    public async Task ListDiscrepanciesJson_DateAndKindQueryParameters_Filter()
    {
        using var http = set.Harness.Platform.PaymentHost.JsonClient(Lidu);

        using var response = await http.GetAsync("/v1/reconciliationDiscrepancies?kind=DISCREPANCY_KIND_MISSING_HERE" +
            "&statementDateFrom.year=2023&statementDateFrom.month=11&statementDateFrom.day=21&statementDateTo.year=2023" +
            "&statementDateTo.month=11&statementDateTo.day=21");
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.IsSuccessStatusCode, body);
        var listed = Google.Protobuf.JsonParser.Default.Parse<ListDiscrepanciesResponse>(body);
        Assert.Equal(Where(d => d.ChannelTransactionId == "wx-unknown-2"), listed.Discrepancies.Select(d => d.DiscrepancyId));
    }

    [Theory]
    [InlineData("kind")]
    [InlineData("statement_date_from")]
    [InlineData("statement_date_to")]
    [InlineData("from after to")]
    public async Task ListDiscrepancies_BadFilterValue_InvalidArgumentNamingTheFilter(string problem)
    {
        var request = problem switch
        {
            "kind" => new ListDiscrepanciesRequest { Kind = (DiscrepancyKind)9 },
            // A year alone is not a day.
            "statement_date_from" => new ListDiscrepanciesRequest { StatementDateFrom = new Google.Type.Date { Year = 2023 } },
            "statement_date_to" => new ListDiscrepanciesRequest { StatementDateTo = new Google.Type.Date { Year = 2023, Month = 2, Day = 30 } },
            _ => new ListDiscrepanciesRequest { StatementDateFrom = Date(Day.AddDays(1)), StatementDateTo = Date(Day) },
        };
        var field = problem == "from after to" ? "statement_date_to" : problem;

        var ex = await Assert.ThrowsAsync<RpcException>(() => set.Harness.Client().ListDiscrepanciesAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("INVALID_REQUEST", RpcErrors.ReasonOf(ex));
        Assert.Equal(field, Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }
}
