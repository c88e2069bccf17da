using System.Security.Cryptography;
using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Reconciliation.Statements;
using Medins.Platform.Hosting;
using Npgsql;

namespace Medins.PaymentCollection.Reconciliation;

/// <summary>A statement a caller wants imported: already read and checked against its channel and day.</summary>
public sealed record StatementImport(string Channel, DateOnly Day, byte[] Content, ParsedStatement Statement, Guid? ReplacesStatementId);

/// <summary>
/// Imports statements and resolves discrepancies inside the caller's tenant transaction. A channel and day has one
/// current statement: importing the same file again answers what the first import found; another file is refused
/// unless it names the import it replaces and nobody has resolved anything of that import yet.
/// </summary>
public sealed class Reconciliations(TimeProvider time)
{
    public async Task<(StatementRecord Statement, StatementTally Tally)> ImportAsync(NpgsqlConnection conn,
        NpgsqlTransaction tx, string tenantId, string actor, StatementImport import, CancellationToken ct)
    {
        var sha = SHA256.HashData(import.Content);
        await ReconciliationStore.LockStatementDayAsync(conn, tx, tenantId, import.Channel, import.Day, ct);
        var current = await ReconciliationStore.FindCurrentStatementAsync(conn, tx, tenantId, import.Channel, import.Day, ct);
        if (current is not null && current.ContentSha256.AsSpan().SequenceEqual(sha))
            return (current, await ReconciliationStore.TallyAsync(conn, tx, tenantId, current.StatementId, ct));
        CheckReplacement(current, import);
        if (current is not null && await ReconciliationStore.HasResolvedDiscrepanciesAsync(conn, tx, tenantId, current.StatementId, ct))
            throw Refusal(ErrorReason.StatementHasResolutions,
                $"Statement {current.StatementId} already has resolved discrepancies, so a corrected file can no longer " +
                "replace it; settle the corrections through its open discrepancies.",
                new Dictionary<string, string> { ["statement_id"] = current.StatementId.ToString() },
                clerk: $"{ReconciliationWords.ChannelChinese(import.Channel)} {ClerkText.Date(import.Day)} 的对账单已有差错处理完毕，"
                        + "不能再用更正后的文件替换。请在原对账单的未处理差错中逐条更正。");

        var now = Microseconds.Now(time);
        var statement = new StatementRecord(Guid.CreateVersion7(now), import.Channel, import.Day, import.Statement.Format, sha, now,
            actor, import.ReplacesStatementId);
        if (current is not null)
            await ReconciliationStore.SupersedeAsync(conn, tx, tenantId, current.StatementId, statement.StatementId, ct);

        var listed = import.Statement.Lines.Where(l => l.Entry.Kind == StatementLineKind.Payment)
            .Select(l => l.Entry.ChannelTransactionId).Distinct(StringComparer.Ordinal).ToArray();
        var result = Reconciler.Reconcile(import.Statement.Lines,
            await ReconciliationStore.PaymentsByTransactionAsync(conn, tx, tenantId, import.Channel, listed, ct),
            await ReconciliationStore.PaymentsOnDayAsync(conn, tx, tenantId, import.Channel, import.Day, ct),
            await ReconciliationStore.HeldNoticesAsync(conn, tx, tenantId, import.Channel, listed, ct));

        await ReconciliationStore.InsertStatementAsync(conn, tx, tenantId, statement, import.Content, ct);
        await ReconciliationStore.CopyLinesAsync(conn, tx, tenantId, statement.StatementId, result.Lines, ct);
        await ReconciliationStore.CopyDiscrepanciesAsync(conn, tx, tenantId,
            result.Discrepancies.Select(found => ToDiscrepancy(found, statement)).ToList(), ct);
        return (statement, await ReconciliationStore.TallyAsync(conn, tx, tenantId, statement.StatementId, ct));
    }

    /// <summary>Closes an open discrepancy with an action, recording who (the caller's credential), when and why.</summary>
    public async Task<Discrepancy> ResolveAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId, string actor,
        Guid discrepancyId, ResolutionAction action, string note, string requestId, CancellationToken ct)
    {
        var discrepancy = await ReconciliationStore.FindDiscrepancyAsync(conn, tx, tenantId, discrepancyId, forUpdate: true, ct)
            ?? throw Refusal(ErrorReason.DiscrepancyNotFound, $"No discrepancy {discrepancyId}.");
        switch (discrepancy.State)
        {
            case DiscrepancyState.Resolved:
                var done = discrepancy.Resolution!;
                throw Refusal(ErrorReason.AlreadyResolved,
                    $"Discrepancy {discrepancyId} was already resolved by {done.ResolvedBy} at " +
                    $"{ClerkText.BeijingTimeEnglish(done.ResolvedAt)}, {done.Action.English()}.",
                    new Dictionary<string, string>
                    {
                        ["resolved_by"] = done.ResolvedBy,
                        ["action"] = done.Action.ToString(),
                        ["request_id"] = done.RequestId,
                    },
                    clerk: $"这条对账差错已由 {done.ResolvedBy} 于 {ClerkText.BeijingTime(done.ResolvedAt)}处理（{done.Action.Chinese()}），无需重复处理。");
            case DiscrepancyState.Superseded:
                throw Refusal(ErrorReason.DiscrepancySuperseded,
                    $"Discrepancy {discrepancyId} belongs to a statement a corrected file replaced; resolve the replacement's.",
                    clerk: $"这条差错所属的 {ReconciliationWords.ChannelChinese(discrepancy.Channel)} {ClerkText.Date(discrepancy.StatementDate)} "
                            + "对账单已被更正后的文件取代。请到最新导入的对账单中处理。");
        }
        if (ResolutionRules.Refusal(discrepancy, action) is { } refusal)
            throw Refusal(ErrorReason.ActionNotAllowed,
                $"{char.ToUpperInvariant(action.English()[0])}{action.English()[1..]} cannot settle it: {refusal}.",
                clerk: ResolutionRules.ClerkRefusal(discrepancy, action));
        if (action == ResolutionAction.ConfirmLatePayment)
            await EnsureCaughtUpAsync(conn, tx, tenantId, discrepancy, ct);

        var resolution = new Resolution(action, note, actor, Microseconds.Now(time), requestId);
        await ReconciliationStore.ResolveAsync(conn, tx, tenantId, discrepancyId, resolution, ct);
        return discrepancy with { State = DiscrepancyState.Resolved, Resolution = resolution };
    }

    /// <summary>A reconciliation rule refuses the call: NOT_FOUND for an unknown discrepancy, ALREADY_EXISTS for a day
    /// already imported from another file, FAILED_PRECONDITION for the rest; thrown inside the transaction, so
    /// nothing of the refused call is stored.</summary>
    private static RuleViolation Refusal(ErrorReason reason, string message, IReadOnlyDictionary<string, string>? facts = null,
        string? clerk = null) => new(reason, reason switch
        {
            ErrorReason.DiscrepancyNotFound => RefusalStatus.NotFound,
            ErrorReason.StatementAlreadyImported => RefusalStatus.AlreadyExists,
            _ => RefusalStatus.FailedPrecondition,
        }, message, facts, clerk);

    private static void CheckReplacement(StatementRecord? current, StatementImport import)
    {
        if (current is not null && import.ReplacesStatementId is null)
            throw Refusal(ErrorReason.StatementAlreadyImported,
                $"The {import.Channel} statement of {import.Day:yyyy-MM-dd} was already imported as {current.StatementId} from " +
                "another file; to import a corrected file, name that import in replaces_statement_id.",
                new Dictionary<string, string>
                {
                    ["statement_id"] = current.StatementId.ToString(),
                    ["content_sha256"] = Convert.ToHexStringLower(current.ContentSha256),
                },
                clerk: $"{ReconciliationWords.ChannelChinese(import.Channel)} {ClerkText.Date(import.Day)} 的对账单已于 "
                        + $"{ClerkText.BeijingTime(current.ImportedAt)}用另一个文件导入过。如要导入更正后的文件，请选择“替换原对账单”后重新导入。");
        if (import.ReplacesStatementId is { } replaces && replaces != current?.StatementId)
            throw Refusal(ErrorReason.StatementNotCurrent,
                current is null
                    ? $"There is no {import.Channel} statement of {import.Day:yyyy-MM-dd} to replace."
                    : $"Statement {replaces} is not the current {import.Channel} statement of {import.Day:yyyy-MM-dd}; {current.StatementId} is.",
                current is null ? null : new Dictionary<string, string> { ["statement_id"] = current.StatementId.ToString() },
                clerk: current is null
                    ? $"{ReconciliationWords.ChannelChinese(import.Channel)} {ClerkText.Date(import.Day)} 还没有导入过对账单，无可替换。请直接导入。"
                    : $"要替换的不是 {ReconciliationWords.ChannelChinese(import.Channel)} {ClerkText.Date(import.Day)} 当前的对账单。请刷新后选择最新一份再替换。");
    }

    /// <summary>A late payment is confirmed only once the other side shows it.</summary>
    private static async Task EnsureCaughtUpAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string tenantId,
        Discrepancy discrepancy, CancellationToken ct)
    {
        if (discrepancy.Kind == DiscrepancyKind.MissingHere
            && !await ReconciliationStore.PlatformHoldsPaymentAsync(conn, tx, tenantId, discrepancy.Channel, discrepancy.ChannelTransactionId, ct))
            throw Refusal(ErrorReason.PaymentNotConfirmed,
                $"The platform has not confirmed {discrepancy.Channel} transaction {discrepancy.ChannelTransactionId}: confirm " +
                "the payment of its order first, or refund the payer.",
                clerk: $"{ReconciliationWords.ChannelChinese(discrepancy.Channel)}交易 {discrepancy.ChannelTransactionId} 在平台上还没有确认到账。"
                        + "请先确认对应缴费单的付款，或选择退还付款人。");
        if (discrepancy.Kind == DiscrepancyKind.MissingThere
            && !await ReconciliationStore.ListedOnAnotherStatementAsync(conn, tx, tenantId, discrepancy.Channel,
                discrepancy.ChannelTransactionId, discrepancy.StatementId, ct))
            throw Refusal(ErrorReason.NotListedByChannel,
                $"No other {discrepancy.Channel} statement lists transaction {discrepancy.ChannelTransactionId}: import the day " +
                "that lists it first.",
                clerk: $"{ReconciliationWords.ChannelChinese(discrepancy.Channel)}的其他对账单中也没有交易 {discrepancy.ChannelTransactionId}。"
                        + "请先导入列有这笔交易的那一天的对账单，再确认。");
    }

    private static Discrepancy ToDiscrepancy(FoundDiscrepancy found, StatementRecord statement) =>
        new(Guid.CreateVersion7(statement.ImportedAt), statement.StatementId, statement.Channel, statement.StatementDate, found.Kind,
            found.ChannelTransactionId, DiscrepancyState.Open, statement.ImportedAt)
        {
            LineNumber = found.Line?.LineNumber,
            MerchantOrderId = found.Line?.Entry.MerchantOrderId ?? "",
            ChannelAmountFen = found.Line?.Entry.AmountFen,
            ChannelTime = found.Line?.Entry.ChannelTime,
            PlatformAmountFen = found.Payment?.AmountFen,
            PlatformPaidAt = found.Payment?.PaidAt,
            OrderIds = found.Payment?.OrderIds ?? [],
        };
}
