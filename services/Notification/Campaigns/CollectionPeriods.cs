using System.Text.Json;
using Grpc.Core;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Grpc;
using Medins.Quota.V1;

namespace Medins.Notification.Campaigns;

/// <summary>A tenant's collection period for a coverage year: the first and the last day payment is taken.</summary>
public sealed record CollectionPeriod(DateOnly Opens, DateOnly Closes);

/// <summary>
/// The collection period as quota-tracking's rules state it (each tenant's seed: Linjiang seed 002 一 closes on
/// 2023-12-31, Gaoyang seed 004 三（四） on 2023-12-25), read over gRPC before any transaction is opened. A reminder
/// that names a deadline after the last day would tell residents a day on which payment is refused.
/// </summary>
public sealed class CollectionPeriods(QuotaTrackingService.QuotaTrackingServiceClient quota)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The period, or an RPC error the caller can act on: no rules for the year, or quota-tracking unreachable.</summary>
    public async Task<CollectionPeriod> ForAsync(string tenantId, int coverageYear, CancellationToken ct)
    {
        GetQuotaRulesResponse rules;
        try
        {
            rules = await quota.GetQuotaRulesAsync(new GetQuotaRulesRequest { CoverageYear = coverageYear },
                ActingTenant.For(tenantId), DateTime.UtcNow.Add(Timeout), ct);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.FailedPrecondition)
        {
            throw RpcErrors.FailedPrecondition("NO_COLLECTION_PERIOD",
                $"This tenant has no quota rules for coverage year {coverageYear}, so its collection period is unknown.",
                $"{coverageYear} 年度的征缴期尚未公布（任务考核规则未发布），暂时不能安排催缴通知。请联系县医保中心先发布本年度规则。");
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !ct.IsCancellationRequested)
        {
            throw RpcErrors.Unavailable("UPSTREAM_UNAVAILABLE",
                $"The collection period could not be read ({ex.StatusCode}); retry.",
                "暂时无法读取本年度的征缴期，催缴通知未安排。请稍后重试。");
        }
        return Parse(rules.Document);
    }

    /// <summary>The campaign dates of a quota rules document (<c>campaign.opens</c>, <c>campaign.closes</c>).</summary>
    public static CollectionPeriod Parse(string document)
    {
        using var json = JsonDocument.Parse(document, Options);
        var campaign = json.RootElement.GetProperty("campaign");
        return new CollectionPeriod(DateOnly.Parse(campaign.GetProperty("opens").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            DateOnly.Parse(campaign.GetProperty("closes").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }
}
