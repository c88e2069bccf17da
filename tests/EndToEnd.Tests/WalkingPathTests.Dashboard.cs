using System.Text.Json;
using System.Text.RegularExpressions;
using Medins.Contribution.V1;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.Platform.Testing;
using Medins.Quota.V1;

namespace Medins.EndToEnd.Tests;

/// <summary>
/// The chart's Grafana dashboard against the metrics the running platform really exports: after a payment has
/// walked the whole path, a real Prometheus scrapes every process and evaluates every panel's expression and every
/// variable's query. A renamed metric or label, or a query Prometheus refuses, fails here instead of leaving an
/// empty panel on the day of the December peak.
/// </summary>
public sealed partial class WalkingPathTests
{
    [Fact]
    public async Task Dashboard_AfterAPaymentWalksThePath_EveryPanelQueryReturnsSeries()
    {
        var linjiang = platform.GatewayChannel("demo-linjiang-key");
        var identity = new IdentityRegistryService.IdentityRegistryServiceClient(linjiang);
        // Not the walking path's village (the first): that test counts exactly its own payment there.
        var village = (await identity.ListDivisionsAsync(new ListDivisionsRequest { PageSize = 500 }))
            .Divisions.Last(d => d.Level == DivisionLevel.Village);
        var resident = (await identity.RegisterResidentAsync(new RegisterResidentRequest
        {
            RequestId = "e2e-dashboard-register",
            NationalId = NationalIds.Make("500118", new DateOnly(1968, 9, 2), 415),
            Name = "陈淑芬",
            VillageCode = village.Code,
            RegistrationType = RegistrationType.HouseholdRegistered,
        })).Resident;
        var quote = (await new ContributionCalculationService.ContributionCalculationServiceClient(linjiang)
            .QuoteContributionAsync(new QuoteContributionRequest { CoverageYear = 2024 })).Quote;
        var payments = new PaymentCollectionService.PaymentCollectionServiceClient(linjiang);
        var order = (await payments.CreatePaymentOrderAsync(new CreatePaymentOrderRequest
        {
            RequestId = "e2e-dashboard-order",
            ResidentId = resident.ResidentId,
            CoverageYear = 2024,
            Channel = PaymentChannel.Alipay,
        })).Order;
        await payments.ConfirmPaymentAsync(new ConfirmPaymentRequest
        {
            OrderId = order.OrderId,
            ChannelTransactionId = "ali-e2e-dashboard-1",
            AmountFen = quote.PersonalAmountFen,
        });
        var quota = new QuotaTrackingService.QuotaTrackingServiceClient(linjiang);
        await RunningPlatform.EventuallyAsync(
            async () => (await quota.GetVillageProgressAsync(new GetVillageProgressRequest { CoverageYear = 2024, VillageCode = village.Code })).Progress,
            p => p.EnrolledCount >= 1);

        var targets = RunningPlatform.ServiceIds.Append("gateway").ToDictionary(id => id, id => platform[id].MetricsAddress!);
        await using var prometheus = await LocalPrometheus.StartAsync(targets);
        // rate() needs two samples in its window; a few more ride out a slow scrape on a loaded machine.
        await prometheus.WaitScrapedAsync(targets.Count, scrapes: 4, TimeSpan.FromSeconds(60));

        var dashboard = Dashboard.Load();
        Assert.NotEmpty(dashboard.PanelQueries);
        var problems = new List<string>();
        foreach (var (panel, expression) in dashboard.PanelQueries)
        {
            var query = Dashboard.Substitute(expression);
            var result = await prometheus.QueryAsync(query);
            if (result.Error is not null) problems.Add($"panel '{panel}': {result.Error} in {query}");
            else if (result.Series.Count == 0) problems.Add($"panel '{panel}': no series for {query}");
        }
        var tenants = new List<string>();
        foreach (var (variable, metricSelector, label) in dashboard.VariableQueries)
        {
            var values = await prometheus.LabelValuesAsync(label, Dashboard.Substitute(metricSelector));
            if (values.Count == 0) problems.Add($"variable '{variable}': no values of {label} on {metricSelector}");
            if (variable == "tenant") tenants.AddRange(values);
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // The tenant picker offers the tenant that just paid, and its payment shows on the throughput panel.
        Assert.Contains("cq-linjiang", tenants);
        var paid = await prometheus.QueryAsync(
            $"sum(medins_quota_payments_total{{namespace=\"{LocalPrometheus.Namespace}\", tenant=\"cq-linjiang\", channel=\"alipay\"}})");
        Assert.True(paid.Series is [{ Value: >= 1 }], $"the Alipay payment is not counted: {string.Join(", ", paid.Series.Select(s => s.Value))}");
    }

    /// <summary>The chart's dashboard: every panel's expression (rows included) and every label_values variable.</summary>
    private sealed partial record Dashboard(
        IReadOnlyList<(string Panel, string Expression)> PanelQueries,
        IReadOnlyList<(string Variable, string Selector, string Label)> VariableQueries)
    {
        public static Dashboard Load()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
            var path = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Platform.sln not found"),
                "charts", "medins-city", "dashboards", "medins-city.json");
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var panels = new List<(string, string)>();
            Walk(json.RootElement.GetProperty("panels"), panels);
            var variables = new List<(string, string, string)>();
            foreach (var variable in json.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
            {
                if (variable.GetProperty("type").GetString() != "query") continue;
                var text = variable.GetProperty("query") is { ValueKind: JsonValueKind.Object } q
                    ? q.GetProperty("query").GetString()!
                    : variable.GetProperty("query").GetString()!;
                var match = LabelValues().Match(text);
                if (!match.Success) throw new InvalidOperationException($"variable {variable.GetProperty("name")}: not label_values(selector, label): {text}");
                variables.Add((variable.GetProperty("name").GetString()!, match.Groups["selector"].Value, match.Groups["label"].Value));
            }
            return new Dashboard(panels, variables);
        }

        private static void Walk(JsonElement panels, List<(string, string)> found)
        {
            foreach (var panel in panels.EnumerateArray())
            {
                var title = panel.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "";
                if (panel.TryGetProperty("targets", out var targets))
                    foreach (var target in targets.EnumerateArray())
                        if (target.TryGetProperty("expr", out var expr)) found.Add((title, expr.GetString()!));
                if (panel.TryGetProperty("panels", out var nested)) Walk(nested, found);
            }
        }

        /// <summary>Grafana's variables as the dashboard is first opened: this namespace, every tenant.</summary>
        public static string Substitute(string expression)
        {
            var query = expression.Replace("$namespace", LocalPrometheus.Namespace).Replace("$tenant", ".*")
                .Replace("$__rate_interval", "1m").Replace("$__interval", "15s");
            return query.Contains('$') ? throw new InvalidOperationException($"unknown dashboard variable in {expression}") : query;
        }

        [GeneratedRegex(@"^\s*label_values\((?<selector>.+),\s*(?<label>\w+)\)\s*$")]
        private static partial Regex LabelValues();
    }
}
