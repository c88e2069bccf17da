using Medins.Notification.Data;
using Medins.Notification.Delivery;
using Medins.Notification.Domain;
using Medins.Notification.Messages;
using Medins.Platform.Hosting.Data;
using Microsoft.Extensions.Logging;

namespace Medins.Notification.Campaigns;

/// <summary>
/// Runs reminder campaigns. At the send time the ledger is read again, so whoever enrolled since the preview drops
/// out, and each person on it gets one message (a unique key per campaign and person makes a re-run harmless).
/// The dispatcher then sends them outside quiet hours and skips whoever died, left or paid in between.
/// </summary>
public sealed class CampaignRunner(PlatformDatabase db, ResidentDirectory directory, MessageWriter writer, TimeProvider time,
    ILogger<CampaignRunner> logger)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    /// <summary>Counts who a target reaches now, from the ledger and notification's own preferences.</summary>
    public async Task<CampaignCountsRow> CountAsync(string tenantId, CampaignTargetSpec target, CancellationToken ct)
    {
        long onLedger = 0, optedOut = 0, noContact = 0;
        await foreach (var page in directory.LedgerPagesAsync(tenantId, target.Ledger, target.CoverageYear, target.VillageCode, ct))
        {
            var preferences = await db.InTenantAsync(tenantId, (conn, tx) =>
                ContactBook.PreferencesAsync(conn, tx, tenantId, page.Select(e => e.ResidentId).ToList(), ct), ct);
            foreach (var entry in page)
            {
                onLedger++;
                var preference = preferences.GetValueOrDefault(entry.ResidentId);
                if (preference is not null && OptOut.Excludes(preference.OptOut, TemplateKeys.Reminder)) optedOut++;
                else if (string.IsNullOrWhiteSpace(entry.Phone) && preference is not { WeChatOpenId.Length: > 0 }) noContact++;
            }
        }
        return new CampaignCountsRow(onLedger, optedOut, noContact);
    }

    /// <summary>Creates the messages of every campaign whose send time has come.</summary>
    public async Task<int> StartDueAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var due = await db.InSystemScopeAsync((conn, tx) => CampaignStore.ClaimDueAsync(conn, tx, now, now + Lease, ct), ct);

        foreach (var campaign in due)
        {
            try
            {
                await MaterialiseAsync(campaign, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The claim lapses and a later pass reads the ledger again; messages already created stay unique.
                logger.LogError(ex, "Campaign {CampaignId} of {TenantId} could not be started; retrying after its claim lapses",
                    campaign.CampaignId, campaign.TenantId);
            }
        }
        return due.Count;
    }

    private async Task MaterialiseAsync(DueCampaign campaign, CancellationToken ct)
    {
        var created = 0;
        await foreach (var page in directory.LedgerPagesAsync(campaign.TenantId, campaign.Target.Ledger, campaign.Target.CoverageYear,
                           campaign.Target.VillageCode, ct))
        {
            var stillScheduled = await db.InTenantAsync(campaign.TenantId, async (conn, tx) =>
            {
                // A share lock: a cancellation waits for this page and then skips what it created.
                if (await CampaignStore.StateAsync(conn, tx, campaign.TenantId, campaign.CampaignId, forShare: true, ct) != CampaignStates.Scheduled)
                    return false;
                // One read of the templates, quiet hours and the page's preferences, then one insert per person.
                var batch = await writer.BatchAsync(conn, tx, campaign.TenantId, campaign.TemplateKey, ct);
                var preferences = await ContactBook.PreferencesAsync(conn, tx, campaign.TenantId, page.Select(e => e.ResidentId).ToList(), ct);
                foreach (var entry in page)
                {
                    var outcome = await batch.EnqueueAsync(conn, tx, new NewMessage(campaign.TenantId, RecipientKinds.Resident,
                        entry.ResidentId, campaign.TemplateKey,
                        MessageValues.Reminder(entry.Name, campaign.Target.CoverageYear, campaign.Deadline),
                        campaign.SendTime, CampaignId: campaign.CampaignId),
                        RecipientFacts.Of(preferences.GetValueOrDefault(entry.ResidentId)), ct);
                    if (outcome is EnqueueOutcome.Queued or EnqueueOutcome.Skipped) created++;
                }
                return true;
            }, ct);
            if (!stillScheduled) return;
        }

        await db.InTenantAsync(campaign.TenantId,
            (conn, tx) => CampaignStore.MarkSendingAsync(conn, tx, campaign.TenantId, campaign.CampaignId, ct), ct);
        logger.LogInformation("Campaign {CampaignId} of {TenantId} started: {Created} messages", campaign.CampaignId, campaign.TenantId, created);
    }

    /// <summary>Campaigns with nothing left pending are complete.</summary>
    public Task<int> CompleteFinishedAsync(CancellationToken ct) =>
        db.InSystemScopeAsync((conn, tx) => CampaignStore.CompleteFinishedAsync(conn, tx, ct), ct);
}
