using System.Text.Json;
using Medins.Platform.Hosting;
using Medins.Notification.V1;
using Medins.Platform.Hosting.Grpc;
using Medins.Quota.V1;
using ErrorReason = Medins.Notification.V1.ErrorReason;

namespace Medins.Notification.Campaigns;

/// <summary>A tenant's collection period for a coverage year: the first and the last day payment is taken.</summary>
public sealed record CollectionPeriod(DateOnly Opens, DateOnly Closes);

/// <summary>
/// The collection period as quota-tracking's rules state it (each tenant's seed: Linjiang seed 002 一 closes on
/// 2023-12-31, Gaoyang seed 004 三（四） on 2023-12-25), read over gRPC before any transaction is opened. A reminder
/// that names a deadline after the last day would tell residents a day on which payment is refused.
/// </summary>
public sealed class CollectionPeriods(QuotaTrackingService.QuotaTrackingServiceClient quota, TimeProvider time)
{
    private const string QuotaTracking = "quota-tracking";
    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The period, or a refusal the caller can act on: no rules for the year, or quota-tracking unreachable.</summary>
    public async Task<CollectionPeriod> ForAsync(string tenantId, int coverageYear, CancellationToken ct)
    {
        GetQuotaRulesResponse rules;
        try
        {
            rules = await UpstreamCalls.CallAsync(QuotaTracking, token => quota.GetQuotaRulesAsync(
                new GetQuotaRulesRequest { CoverageYear = coverageYear }, ActingTenant.For(tenantId), cancellationToken: token).ResponseAsync,
                time, ct);
        }
        // Upstream's NOT_FOUND and FAILED_PRECONDITION both leave the mapping as FAILED_PRECONDITION: no rules for the year.
        catch (RuleViolation ex) when (ex.Status == RefusalStatus.FailedPrecondition)
        {
            throw RpcErrors.FailedPrecondition(ErrorReason.NoCollectionPeriod,
                $"This tenant has no quota rules for coverage year {coverageYear}, so its collection period is unknown.",
                $"{coverageYear} 年度的征缴期尚未公布（任务考核规则未发布），暂时不能安排催缴通知。请联系县医保中心先发布本年度规则。");
        }
        catch (RuleViolation ex)
        {
            throw RpcErrors.Unavailable(UpstreamCalls.Unavailable,
                $"The collection period could not be read ({UpstreamCode(ex)}); retry.",
                "暂时无法读取本年度的征缴期，催缴通知未安排。请稍后重试。");
        }
        return Parse(rules.Document);
    }

    /// <summary>The status quota-tracking answered with (DeadlineExceeded when it did not answer in time).</summary>
    private static string UpstreamCode(RuleViolation ex) => ex.Facts.GetValueOrDefault("upstream_code") ?? "DeadlineExceeded";

    /// <summary>The campaign dates of a quota rules document (<c>campaign.opens</c>, <c>campaign.closes</c>).</summary>
    public static CollectionPeriod Parse(string document)
    {
        using var json = JsonDocument.Parse(document, Options);
        var campaign = json.RootElement.GetProperty("campaign");
        return new CollectionPeriod(DateOnly.Parse(campaign.GetProperty("opens").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            DateOnly.Parse(campaign.GetProperty("closes").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }
}
