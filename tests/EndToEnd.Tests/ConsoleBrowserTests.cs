using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Medins.Quota.V1;
using PuppeteerSharp;

namespace Medins.EndToEnd.Tests;

/// <summary>
/// One platform start for every browser test: a payment walked in Linjiang (WeChat Pay), a cash collection by a
/// village agent, and unpaid residents enough for two ledger pages; then Debian's chromium, headless, driven over
/// the DevTools protocol.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const int Year = 2024;
    public const string PaidVillage = "500118901203";
    public const string CashVillage = "500118901201";
    public const string LedgerVillage = "500118901205";
    /// <summary>Where the peak test pays while the page watches (apart from the others, whatever order tests run in).</summary>
    public const string PeakVillage = "500118901204";
    public const int UnpaidResidents = 23;

    public RunningPlatform Platform { get; } = new();
    public IBrowser Browser { get; private set; } = null!;
    public string Screenshots { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Platform.InitializeAsync();
        var linjiang = Platform.GatewayChannel("demo-linjiang-key");
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(linjiang);
        var payments = new PaymentCollectionService.PaymentCollectionServiceClient(linjiang);

        var paid = await RegisterAsync(identity, "console-paid", PaidVillage, 1, "王秀英");
        var order = (await payments.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = "console-order-1", ResidentId = paid, CoverageYear = Year, Channel = PaymentChannel.WechatPay,
        })).Order;
        await payments.ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = "wx-console-0001", AmountFen = order.PersonalAmountFen,
        });

        var cash = new VillageCashService.VillageCashServiceClient(linjiang);
        await cash.RegisterCashAgentAsync(new RegisterCashAgentRequest
        {
            RequestId = "console-agent", AgentId = "agent-gaotan-1", Name = "刘代收", VillageCode = CashVillage,
        });
        var payer = await RegisterAsync(identity, "console-cash", CashVillage, 2, "张建华");
        await cash.RecordCashCollectionAsync(new RecordCashCollectionRequest
        {
            RequestId = "console-cash-1", AgentId = "agent-gaotan-1", ResidentId = payer, CoverageYear = Year, ReceivedAmountFen = 38000,
        });

        for (var n = 0; n < UnpaidResidents; n++)
            await RegisterAsync(identity, $"console-unpaid-{n}", LedgerVillage, 100 + n, "李" + "春夏秋冬梅兰竹菊"[n % 8] + "芳");

        // Both payments counted by quota-tracking before any page is read.
        var quota = new QuotaTrackingService.QuotaTrackingServiceClient(linjiang);
        await RunningPlatform.EventuallyAsync(
            async () => (await quota.ListVillageProgressAsync(new ListVillageProgressRequest { CoverageYear = Year, PageSize = 100 })).Progress
                .Where(p => p.VillageCode is PaidVillage or CashVillage).Sum(p => p.EnrolledCount),
            enrolled => enrolled >= 2);

        Browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            Headless = true,
            ExecutablePath = ChromiumPath(),
            // The test may run as root in a container: chromium's sandbox needs user namespaces it may not have.
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN"],
        });
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Platform.sln"))) root = root.Parent;
        Screenshots = Path.Combine(root?.FullName ?? AppContext.BaseDirectory, ".local", "screenshots");
        Directory.CreateDirectory(Screenshots);
    }

    private static async Task<string> RegisterAsync(IdentityRegistryService.IdentityRegistryServiceClient identity, string requestId,
        string village, int serial, string name) =>
        (await identity.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = requestId,
            NationalId = NationalIds.Make("500118", new DateOnly(1970 + serial % 40, 1 + serial % 12, 1 + serial % 28), 500 + serial),
            Name = name,
            VillageCode = village,
            RegistrationType = RegistrationType.HouseholdRegistered,
            Phone = $"1390000{serial:D4}",
        })).Resident.ResidentId;

    /// <summary>Debian's chromium (the test command installs it); MEDINS_CHROMIUM names another.</summary>
    private static string ChromiumPath()
    {
        var named = Environment.GetEnvironmentVariable("MEDINS_CHROMIUM");
        if (!string.IsNullOrEmpty(named)) return named;
        foreach (var candidate in new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" })
            if (File.Exists(candidate)) return candidate;
        throw new InvalidOperationException("chromium is missing: install Debian's chromium package (./platform test does, as root).");
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        await Platform.DisposeAsync();
    }
}

[Collection("platform processes")]
public sealed class ConsoleBrowserTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private const string LinjiangKey = "demo-linjiang-key";
    private string Console => fixture.Platform.Gateway.HttpAddress + "/console/";

    private async Task<JsonElement> ApiAsync(string path, string key = LinjiangKey)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, fixture.Platform.Gateway.HttpAddress + path);
        request.Headers.Add("x-api-key", key);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
    private static string Yuan(long fen) => (fen / 100).ToString("N0", CultureInfo.InvariantCulture) + "." + (fen % 100).ToString("D2");
    private static string Rate(int bp) => $"{bp / 100}.{bp % 100:D2}%";
    private static long Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? long.Parse(v.ToString()) : 0;

    private async Task<IPage> SignedInPageAsync(string key, string page, int width = 1366, int height = 768)
    {
        var context = await fixture.Browser.CreateBrowserContextAsync();
        var tab = await context.NewPageAsync();
        await tab.SetViewportAsync(new ViewPortOptions { Width = width, Height = height });
        await tab.GoToAsync(Console);
        await tab.TypeAsync("#credential", key);
        await Task.WhenAll(tab.WaitForNavigationAsync(), tab.ClickAsync("button[type=submit]"));
        if (page != "progress.html") await tab.GoToAsync(Console + page);
        await LoadedAsync(tab);
        return tab;
    }

    private static async Task LoadedAsync(IPage tab)
    {
        await tab.WaitForSelectorAsync("body[data-loaded='true'], body[data-loaded='error']", new WaitForSelectorOptions { Timeout = 30_000 });
        var error = await tab.EvaluateExpressionAsync<string>("document.getElementById('error')?.hidden === false ? document.getElementById('error').textContent : ''");
        Assert.True(string.IsNullOrEmpty(error), "the page shows an error: " + error);
    }

    /// <summary>The rows of a table: each row's data attribute and its cells by data-field.</summary>
    private static async Task<Dictionary<string, Dictionary<string, string>>> RowsAsync(IPage tab, string table, string key) =>
        (await tab.EvaluateFunctionAsync<Dictionary<string, Dictionary<string, string>>>(
            @"(table, key) => Object.fromEntries([...document.querySelectorAll(`#${table} tbody tr`)].filter(r => r.dataset[key])
                .map(r => [r.dataset[key], Object.fromEntries([...r.querySelectorAll('[data-field]')].map(c => [c.dataset.field, c.textContent]))]))",
            table, key));

    private static Task<string> TextAsync(IPage tab, string selector) =>
        tab.EvaluateFunctionAsync<string>("s => document.querySelector(s)?.textContent ?? ''", selector);

    private async Task ScreenshotAsync(IPage tab, string name) =>
        await tab.ScreenshotAsync(Path.Combine(fixture.Screenshots, name + ".png"), new ScreenshotOptions { FullPage = true });

    [Fact]
    public async Task Progress_LinjiangKey_ElevenVillagesWithTheApisNumbers()
    {
        var tab = await SignedInPageAsync(LinjiangKey, "progress.html");
        var rows = await RowsAsync(tab, "villages", "village");
        await ScreenshotAsync(tab, "progress");

        var api = (await ApiAsync($"/v1/villageProgress/{ConsoleFixture.Year}?pageSize=100")).GetProperty("progress").EnumerateArray().ToList();
        // Linjiang's task table: eleven villages, 35,809 in all (services/Migrator/DemoCity/quota_tracking.sql).
        Assert.Equal(11, rows.Count);
        Assert.Equal(api.Select(p => p.GetProperty("villageCode").GetString()!).Order(), rows.Keys.Order());
        Assert.Equal(35_809, rows.Values.Sum(r => long.Parse(r["task"], NumberStyles.AllowThousands, CultureInfo.InvariantCulture)));
        foreach (var progress in api)
        {
            var row = rows[progress.GetProperty("villageCode").GetString()!];
            Assert.Equal(progress.GetProperty("villageName").GetString(), row["name"]);
            Assert.Equal(Count(Long(progress, "enrolledCount")), row["enrolled"]);
            Assert.Equal(Count(Long(progress, "task")), row["task"]);
            Assert.Equal(Rate(progress.GetProperty("enrolmentRateBp").GetInt32()), row["rate"]);
            Assert.Equal(Rate(progress.GetProperty("taskCompletionBp").GetInt32()), row["completion"]);
        }
        Assert.Equal("1", rows[ConsoleFixture.PaidVillage]["enrolled"]);

        var county = Assert.Single((await ApiAsync($"/v1/divisionProgress/{ConsoleFixture.Year}?level=PROGRESS_LEVEL_COUNTY")).GetProperty("divisions").EnumerateArray());
        Assert.Equal("35,809", await TextAsync(tab, "#summary [data-field=task]"));
        Assert.Equal(Count(Long(county, "task")), await TextAsync(tab, "#summary [data-field=task]"));
        Assert.Equal(Count(Long(county.GetProperty("counts"), "enrolledCount")), await TextAsync(tab, "#summary [data-field=enrolled]"));
        Assert.Equal(Yuan(Long(county.GetProperty("counts"), "collectedAmountFen")), await TextAsync(tab, "#summary [data-field=collected]"));

        var ranking = await ApiAsync($"/v1/villageRanking/{ConsoleFixture.Year}");
        var standings = await RowsAsync(tab, "ranking", "village");
        Assert.Equal(ranking.GetProperty("standings").GetArrayLength(), standings.Count);
        foreach (var standing in ranking.GetProperty("standings").EnumerateArray())
        {
            var row = standings[standing.GetProperty("villageCode").GetString()!];
            Assert.Equal(standing.GetProperty("rank").GetInt32().ToString(CultureInfo.InvariantCulture), row["rank"]);
            Assert.Equal(Yuan(Long(standing, "rewardFen")), row["reward"]);
        }
    }

    [Fact]
    public async Task Progress_PhoneWidth_NothingWiderThanTheScreen()
    {
        var tab = await SignedInPageAsync(LinjiangKey, "progress.html", width: 390, height: 844);
        await ScreenshotAsync(tab, "progress-phone");

        // Wide tables scroll inside their own box; the page itself never does sideways.
        Assert.True(await tab.EvaluateExpressionAsync<int>("document.documentElement.scrollWidth") <= 390);
        Assert.Equal(11, (await RowsAsync(tab, "villages", "village")).Count);
    }

    [Fact]
    public async Task Progress_LiduKey_NoLinjiangVillage()
    {
        var tab = await SignedInPageAsync("demo-lidu-key", "progress.html");
        var rows = await RowsAsync(tab, "villages", "village");
        await ScreenshotAsync(tab, "progress-lidu");

        Assert.DoesNotContain(rows.Keys, code => code.StartsWith("500118", StringComparison.Ordinal));
        var lidu = (await ApiAsync($"/v1/villageProgress/{ConsoleFixture.Year}?pageSize=100", "demo-lidu-key")).GetProperty("progress")
            .EnumerateArray().Select(p => p.GetProperty("villageCode").GetString()!).Order();
        Assert.Equal(lidu, rows.Keys.Order());
        Assert.DoesNotContain("高滩村", await tab.EvaluateExpressionAsync<string>("document.body.innerText"));
    }

    [Fact]
    public async Task Progress_CityKey_ChoosesATenantAndShowsOnlyIt()
    {
        var tab = await SignedInPageAsync("demo-city-key", "progress.html");
        var tenants = await tab.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#tenant option')].map(o => o.value)");
        // Every tenant of the demo city, as the registry's divisions name them.
        var cityTenants = (await ApiAsync("/v1/divisions?pageSize=500", "demo-city-key")).GetProperty("divisions").EnumerateArray()
            .Select(d => d.TryGetProperty("tenantId", out var t) ? t.GetString() : null).Where(t => !string.IsNullOrEmpty(t)).OfType<string>().Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(cityTenants, tenants);
        Assert.Contains("cq-linjiang", tenants);

        await Task.WhenAll(tab.WaitForNavigationAsync(), tab.SelectAsync("#tenant", "cq-linjiang"));
        await LoadedAsync(tab);
        var rows = await RowsAsync(tab, "villages", "village");
        await ScreenshotAsync(tab, "progress-city");
        Assert.Equal(11, rows.Count);
        Assert.Equal("35,809", await TextAsync(tab, "#summary [data-field=task]"));

        await Task.WhenAll(tab.WaitForNavigationAsync(), tab.SelectAsync("#tenant", "cq-lidu"));
        await LoadedAsync(tab);
        var lidu = (await ApiAsync($"/v1/villageProgress/{ConsoleFixture.Year}?pageSize=100", "demo-lidu-key")).GetProperty("progress")
            .EnumerateArray().Select(p => p.GetProperty("villageCode").GetString()!).Order();
        Assert.Equal(lidu, (await RowsAsync(tab, "villages", "village")).Keys.Order());
    }

    [Fact]
    public async Task Console_NoCredential_SignInPageAndNoData()
    {
        var context = await fixture.Browser.CreateBrowserContextAsync();
        var tab = await context.NewPageAsync();
        await tab.GoToAsync(Console + "progress.html");
        await tab.WaitForSelectorAsync("#signin-form");

        Assert.EndsWith("/console/index.html", tab.Url);
        Assert.Equal(0, await tab.EvaluateExpressionAsync<int>("document.querySelectorAll('tbody tr').length"));
        // The page's own call without a credential is refused by the gateway.
        Assert.Equal(401, await tab.EvaluateExpressionAsync<int>($"fetch('/v1/villageProgress/{ConsoleFixture.Year}').then(r => r.status)"));

        await tab.TypeAsync("#credential", "not-a-key");
        await tab.ClickAsync("button[type=submit]");
        await tab.WaitForSelectorAsync("#error:not([hidden])");
        await ScreenshotAsync(tab, "signin-refused");
        Assert.EndsWith("/console/index.html", tab.Url);
        Assert.Null(await tab.EvaluateExpressionAsync<string?>("sessionStorage.getItem('medins-console-credential')"));
    }

    [Fact]
    public async Task Peak_LinjiangKey_CountsOfTheApiAndARateAfterAPayment()
    {
        var tab = await SignedInPageAsync(LinjiangKey, "peak.html");
        var activity = await ApiAsync("/v1/collectionActivity");
        var confirmedBefore = Long(activity, "confirmedCount");
        // The walked WeChat payment and the agent's cash, both today on the platform's clock.
        Assert.Equal(2, confirmedBefore);
        Assert.Equal(Count(confirmedBefore), await TextAsync(tab, "[data-field=confirmed]"));
        Assert.Equal(Yuan(Long(activity, "confirmedAmountFen")), await TextAsync(tab, "[data-field=confirmed-amount]"));
        Assert.Equal(Count(Long(activity, "openReviewCount")), await TextAsync(tab, "[data-field=reviews]"));
        Assert.Equal(Count(Long(activity, "reviewsOpenedCount")), await TextAsync(tab, "[data-field=refused]"));
        // The backlog moves as the relay delivers: the page shows the API's figure by its next reading at the latest.
        var backlog = Count(Long(await ApiAsync("/v1/collectionActivity"), "pendingEventCount"));
        await tab.WaitForFunctionAsync("v => document.querySelector('[data-field=backlog]')?.textContent === v",
            new WaitForFunctionOptions { Timeout = 15_000, PollingInterval = 250 }, backlog);
        var county = Assert.Single((await ApiAsync($"/v1/divisionProgress/{ConsoleFixture.Year}?level=PROGRESS_LEVEL_COUNTY")).GetProperty("divisions").EnumerateArray());
        Assert.Equal(Count(Long(county.GetProperty("counts"), "enrolledCount")), await TextAsync(tab, "[data-field=enrolled]"));

        var channels = await RowsAsync(tab, "channels", "channel");
        Assert.Equal(activity.GetProperty("channels").EnumerateArray().Select(c => c.GetProperty("channel").GetString()!), channels.Keys);
        foreach (var channel in activity.GetProperty("channels").EnumerateArray())
        {
            var row = channels[channel.GetProperty("channel").GetString()!];
            Assert.Equal(Count(Long(channel, "confirmedCount")), row["paid"]);
            Assert.Equal(Yuan(Long(channel, "confirmedAmountFen")), row["amount"]);
        }
        Assert.Equal(("微信支付", "380.00"), (channels["PAYMENT_CHANNEL_WECHAT_PAY"]["name"], channels["PAYMENT_CHANNEL_WECHAT_PAY"]["amount"]));
        Assert.Equal(("村代收现金", "380.00"), (channels["PAYMENT_CHANNEL_VILLAGE_CASH"]["name"], channels["PAYMENT_CHANNEL_VILLAGE_CASH"]["amount"]));

        // A payment while the page watches: the next readings show it, and a rate per minute above nought.
        var linjiang = fixture.Platform.GatewayChannel(LinjiangKey);
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(linjiang);
        var resident = (await identity.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = "console-peak-resident", NationalId = NationalIds.Make("500118", new DateOnly(1988, 8, 8), 731), Name = "赵敏",
            VillageCode = ConsoleFixture.PeakVillage, RegistrationType = RegistrationType.HouseholdRegistered,
        })).Resident;
        var payments = new PaymentCollectionService.PaymentCollectionServiceClient(linjiang);
        var order = (await payments.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = "console-peak-order", ResidentId = resident.ResidentId, CoverageYear = ConsoleFixture.Year, Channel = PaymentChannel.Alipay,
        })).Order;
        await payments.ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId, ChannelTransactionId = "ali-console-peak", AmountFen = order.PersonalAmountFen,
        });
        await tab.WaitForFunctionAsync($"() => document.querySelector('[data-field=confirmed]')?.textContent === '{Count(confirmedBefore + 1)}'",
            new WaitForFunctionOptions { Timeout = 60_000, PollingInterval = 500 });
        await tab.WaitForFunctionAsync("() => Number(document.querySelector('[data-field=\"per-minute\"]')?.textContent) > 0",
            new WaitForFunctionOptions { Timeout = 30_000, PollingInterval = 500 });
        await ScreenshotAsync(tab, "peak");
        Assert.Equal("380.00", (await RowsAsync(tab, "channels", "channel"))["PAYMENT_CHANNEL_ALIPAY"]["amount"]);
    }

    [Fact]
    public async Task Ledger_LinjiangKey_PagesOfTheApiMaskedAndCsvOfTheExport()
    {
        var tab = await SignedInPageAsync(LinjiangKey, "ledger.html");
        await tab.SelectAsync("#village", ConsoleFixture.LedgerVillage);
        await tab.WaitForSelectorAsync("body[data-loaded='true'] #next:not([disabled])");
        var first = await RowsAsync(tab, "entries", "resident");
        await ScreenshotAsync(tab, "ledger");

        var path = $"/v1/ledgers/LEDGER_REGISTERED_NOT_ENROLLED?coverageYear={ConsoleFixture.Year}&villageCode={ConsoleFixture.LedgerVillage}&pageSize=20";
        var page1 = await ApiAsync(path);
        var entries = page1.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(20, first.Count);
        Assert.Equal(entries.Select(e => e.GetProperty("residentId").GetString()!), first.Keys);
        foreach (var entry in entries)
        {
            var row = first[entry.GetProperty("residentId").GetString()!];
            Assert.Equal(entry.GetProperty("nationalId").GetString(), row["national-id"]);
            Assert.Contains("*", row["national-id"]);
            Assert.Equal(entry.GetProperty("name").GetString(), row["name"]);
        }

        await tab.ClickAsync("#next");
        await tab.WaitForFunctionAsync("() => document.getElementById('page-number').textContent === '第 2 页' && document.body.dataset.loaded === 'true'");
        var second = await RowsAsync(tab, "entries", "resident");
        var page2 = await ApiAsync(path + "&pageToken=" + Uri.EscapeDataString(page1.GetProperty("nextPageToken").GetString()!));
        Assert.Equal(page2.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("residentId").GetString()!), second.Keys);
        Assert.Equal(ConsoleFixture.UnpaidResidents, first.Count + second.Count);
        Assert.True(await tab.EvaluateExpressionAsync<bool>("document.getElementById('next').disabled"));

        // The CSV the page offers is the registry's export, byte for byte (with a BOM for spreadsheet programs).
        // The file itself is not kept: the page records the size of what it offered.
        await tab.Client.SendAsync("Browser.setDownloadBehavior", new { behavior = "deny" });
        await tab.ClickAsync("#export");
        await tab.WaitForSelectorAsync("body[data-exported]");
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(fixture.Platform.GatewayChannel(LinjiangKey));
        var csv = new StringBuilder();
        using var export = identity.ExportLedgerCsv(new ExportLedgerCsvRequest
        {
            Ledger = Ledger.RegisteredNotEnrolled, CoverageYear = ConsoleFixture.Year, VillageCode = ConsoleFixture.LedgerVillage,
        });
        await foreach (var chunk in export.ResponseStream.ReadAllAsync()) csv.Append(chunk.CsvChunk);
        Assert.Equal(Encoding.UTF8.GetByteCount(csv.ToString()) + 3,
            int.Parse(await tab.EvaluateExpressionAsync<string>("document.body.dataset.exported"), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Cash_LinjiangKey_UnremittedCashOfTheApi()
    {
        var tab = await SignedInPageAsync(LinjiangKey, "cash.html");
        var rows = await RowsAsync(tab, "cash", "village");
        await ScreenshotAsync(tab, "cash");

        var api = (await ApiAsync("/v1/villageCashBalances?pageSize=100")).GetProperty("villages").EnumerateArray().ToList();
        Assert.Equal(api.Select(v => v.GetProperty("villageCode").GetString()!).Order(), rows.Keys.Order());
        foreach (var village in api)
        {
            var row = rows[village.GetProperty("villageCode").GetString()!];
            Assert.Equal(Yuan(Long(village.GetProperty("balance"), "unremittedAmountFen")), row["unremitted"]);
            Assert.Equal(Yuan(Long(village.GetProperty("balance"), "collectedAmountFen")), row["collected"]);
        }
        Assert.Equal("高滩村", rows[ConsoleFixture.CashVillage]["name"]);
        Assert.Equal("380.00", rows[ConsoleFixture.CashVillage]["unremitted"]);
        Assert.Equal("380.00", await TextAsync(tab, "[data-field=unremitted-total]"));

        // Per agent: the table is ListAgentCashBalances', one row per agent with the same amounts.
        var agentRows = await RowsAsync(tab, "agents", "agent");
        var agents = (await ApiAsync("/v1/agentCashBalances?pageSize=100")).GetProperty("agents").EnumerateArray().ToList();
        Assert.Equal(agents.Select(a => a.GetProperty("agent").GetProperty("agentId").GetString()!).Order(), agentRows.Keys.Order());
        foreach (var agent in agents)
        {
            var row = agentRows[agent.GetProperty("agent").GetProperty("agentId").GetString()!];
            Assert.Equal(agent.GetProperty("agent").GetProperty("name").GetString(), row["name"]);
            Assert.Equal(Yuan(Long(agent.GetProperty("balance"), "collectedAmountFen")), row["collected"]);
            Assert.Equal(Yuan(Long(agent.GetProperty("balance"), "remittedAmountFen")), row["remitted"]);
            Assert.Equal(Yuan(Long(agent.GetProperty("balance"), "unremittedAmountFen")), row["unremitted"]);
        }
        Assert.Equal("刘代收", agentRows["agent-gaotan-1"]["name"]);
        Assert.Equal("高滩村", agentRows["agent-gaotan-1"]["village"]);
        Assert.Equal("380.00", agentRows["agent-gaotan-1"]["unremitted"]);
        Assert.True(await tab.EvaluateExpressionAsync<bool>(
            "document.querySelector('#agents tr[data-agent=\"agent-gaotan-1\"]').classList.contains('behind')"));
    }
}
