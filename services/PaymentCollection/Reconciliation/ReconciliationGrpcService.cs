using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Reconciliation.Statements;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Paging;
using Medins.Platform.Hosting.Tenancy;
using ProtoDiscrepancy = Medins.Payment.V1.Discrepancy;
using ProtoDiscrepancyKind = Medins.Payment.V1.DiscrepancyKind;
using ProtoDiscrepancyState = Medins.Payment.V1.DiscrepancyState;
using ProtoResolutionAction = Medins.Payment.V1.ResolutionAction;
using ProtoStatementFormat = Medins.Payment.V1.StatementFormat;
using ProtoTally = Medins.Payment.V1.Tally;

namespace Medins.PaymentCollection.Reconciliation;

/// <summary>Maps the reconciliation contract to the statement readers and <see cref="Reconciliations"/>.</summary>
public sealed class ReconciliationGrpcService(
    PlatformDatabase db,
    RequestLog requestLog,
    TenantContext tenant,
    TimeProvider time,
    Reconciliations reconciliations)
    : ReconciliationService.ReconciliationServiceBase
{
    /// <summary>The largest statement file accepted; the service's gRPC receive limit leaves room for the rest of the
    /// message, and its base64 form stays under Kestrel's 30 MB request body limit for the JSON API.</summary>
    public const int MaxContentBytes = 20 * 1024 * 1024;

    private const int MaxIdLength = 128;
    private const int MaxNoteLength = 1000;

    public override async Task<ImportStatementResponse> ImportStatement(ImportStatementRequest request, ServerCallContext context)
    {
        var channel = ContractValues.ChannelCode(request.Channel);
        var day = request.StatementDate.ToDateOnly();
        var validator = new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= MaxIdLength, "request_id", $"must be at most {MaxIdLength} characters")
            .Check(channel is not null, "channel", "must name a payment channel")
            .Check(day is not null, "statement_date", "must be a full calendar date")
            .Check(request.Content.Length > 0, "content", "is required: the statement file as the channel delivered it")
            .Check(request.Content.Length <= MaxContentBytes, "content", $"must be at most {MaxContentBytes} bytes");
        var replaces = ParseId(request.ReplacesStatementId, "replaces_statement_id", validator);
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var today = ShanghaiCalendar.Today(time);
        if (day >= today)
            throw RpcErrors.FailedPrecondition(ErrorReason.StatementDayNotOver,
                $"The statement of {day:yyyy-MM-dd} can be imported once that day is over (today is {today:yyyy-MM-dd}).");

        var content = request.Content.ToByteArray();
        ParsedStatement statement;
        try
        {
            statement = StatementFormats.ReadStatementOf(channel!, day!.Value, content);
        }
        catch (StatementFormatException ex)
        {
            // The readers' own error, kept inside the service: the call is refused with the line at fault.
            var badRequest = new BadRequest
            {
                FieldViolations = { new BadRequest.Types.FieldViolation { Field = "content", Description = ex.Message } },
            };
            throw RpcErrors.Build(Code.InvalidArgument, ErrorReason.MalformedStatement,
                $"The file is not a valid {ReconciliationWords.StatementEnglish(StatementFormats.For(channel!))}: {ex.Message}.", badRequest,
                new Dictionary<string, string> { ["line_number"] = ex.LineNumber.ToString() },
                $"这不是一份有效的{ReconciliationWords.ChannelChinese(channel!)}对账单"
                + (ex.LineNumber > 0 ? $"（第 {ex.LineNumber} 行有误）" : "")
                + "。请从渠道商户平台重新下载当天的对账单，原样导入，不要用表格软件修改。");
        }

        var import = new StatementImport(channel!, day!.Value, content, statement, replaces);
        var ct = context.CancellationToken;
        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(ImportStatement), request.RequestId, request,
                ImportStatementResponse.Parser, async () =>
                {
                    var (imported, tally) = await reconciliations.ImportAsync(conn, tx, tenantId, tenant.Client, import, ct);
                    return new ImportStatementResponse { Summary = ToProto(imported, tally) };
                }, ct), ct);
    }

    public override async Task<ListDiscrepanciesResponse> ListDiscrepancies(ListDiscrepanciesRequest request,
        ServerCallContext context)
    {
        var validator = new RequestValidator().CheckPageSize(request.PageSize);
        var statementId = ParseId(request.StatementId, "statement_id", validator);
        var channel = request.Channel == PaymentChannel.Unspecified ? null : ContractValues.ChannelCode(request.Channel);
        validator.Check(request.Channel == PaymentChannel.Unspecified || channel is not null, "channel", "must name a payment channel");
        DiscrepancyState? state = request.State switch
        {
            ProtoDiscrepancyState.Open => DiscrepancyState.Open,
            ProtoDiscrepancyState.Resolved => DiscrepancyState.Resolved,
            ProtoDiscrepancyState.Superseded => DiscrepancyState.Superseded,
            _ => null,
        };
        validator.Check(state is not null || request.State == ProtoDiscrepancyState.Unspecified, "state", "must be a discrepancy state");
        DiscrepancyKind? kind = request.Kind switch
        {
            ProtoDiscrepancyKind.MissingHere => DiscrepancyKind.MissingHere,
            ProtoDiscrepancyKind.MissingThere => DiscrepancyKind.MissingThere,
            ProtoDiscrepancyKind.AmountDifference => DiscrepancyKind.AmountDifference,
            _ => null,
        };
        validator.Check(kind is not null || request.Kind == ProtoDiscrepancyKind.Unspecified, "kind", "must be a discrepancy kind");
        var from = request.StatementDateFrom?.ToDateOnly();
        var to = request.StatementDateTo?.ToDateOnly();
        validator
            .Check(request.StatementDateFrom is null || from is not null, "statement_date_from", "must be a full calendar date")
            .Check(request.StatementDateTo is null || to is not null, "statement_date_to", "must be a full calendar date")
            .Check(from is null || to is null || from <= to, "statement_date_to", "must not be before statement_date_from");
        validator.ThrowIfInvalid();
        var filter = new DiscrepancyListFilter(statementId, channel, state, kind, from, to);
        var after = ListFilters.AfterId(PageTokens.Decode(request.PageToken, "discrepancies", filter.TokenKey, keyLength: 1));
        var tenantId = tenant.RequireTenant();
        var pageSize = PageTokens.PageSize(request.PageSize);

        var found = await db.InTenantAsync(tenantId, (conn, tx) =>
            ReconciliationStore.ListDiscrepanciesAsync(conn, tx, tenantId, filter, after, pageSize + 1,
                context.CancellationToken), context.CancellationToken);
        var response = new ListDiscrepanciesResponse { Discrepancies = { found.Take(pageSize).Select(ToProto) } };
        if (found.Count > pageSize)
            response.NextPageToken = PageTokens.Encode("discrepancies", filter.TokenKey, found[pageSize - 1].DiscrepancyId.ToString("N"));
        return response;
    }

    public override async Task<ResolveDiscrepancyResponse> ResolveDiscrepancy(ResolveDiscrepancyRequest request,
        ServerCallContext context)
    {
        var note = request.Note.Trim();
        ResolutionAction? action = request.Action switch
        {
            ProtoResolutionAction.ConfirmLatePayment => ResolutionAction.ConfirmLatePayment,
            ProtoResolutionAction.RefundToPayer => ResolutionAction.RefundToPayer,
            ProtoResolutionAction.ChannelErrorWrittenOff => ResolutionAction.ChannelErrorWrittenOff,
            ProtoResolutionAction.MatchedManually => ResolutionAction.MatchedManually,
            _ => null,
        };
        var validator = new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= MaxIdLength, "request_id", $"must be at most {MaxIdLength} characters")
            .Require(request.DiscrepancyId, "discrepancy_id")
            .Check(action is not null, "action", "must be a resolution action")
            .Require(note, "note")
            .Check(note.Length <= MaxNoteLength, "note", $"must be at most {MaxNoteLength} characters");
        var discrepancyId = ParseId(request.DiscrepancyId, "discrepancy_id", validator);
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(ResolveDiscrepancy), request.RequestId, request,
                ResolveDiscrepancyResponse.Parser, async () => new ResolveDiscrepancyResponse
                {
                    Discrepancy = ToProto(await reconciliations.ResolveAsync(conn, tx, tenantId, tenant.Client, discrepancyId!.Value,
                        action!.Value, note, request.RequestId, ct)),
                }, ct), ct);
    }

    private static Guid? ParseId(string value, string field, RequestValidator validator)
    {
        if (value.Length == 0) return null;
        var ok = Guid.TryParse(value, out var id);
        validator.Check(ok, field, "must be an id the service returned");
        return ok ? id : null;
    }

    private static StatementSummary ToProto(StatementRecord s, StatementTally t) => new()
    {
        StatementId = s.StatementId.ToString(),
        Channel = ContractValues.ToProtoChannel(s.Channel),
        StatementDate = s.StatementDate.ToProtoDate(),
        Format = s.Format switch
        {
            Statements.StatementFormat.WeChatTradeBill => ProtoStatementFormat.WechatTradeBill,
            Statements.StatementFormat.AlipayTradeStatement => ProtoStatementFormat.AlipayTradeStatement,
            _ => ProtoStatementFormat.BureauCollectionStatement,
        },
        ContentSha256 = Convert.ToHexStringLower(s.ContentSha256),
        ImportTime = Timestamp.FromDateTimeOffset(s.ImportedAt),
        ImportedBy = s.ImportedBy,
        ReplacesStatementId = s.ReplacesStatementId?.ToString() ?? "",
        Payments = ToProto(t.Payments),
        Matched = ToProto(t.Matched),
        MissingHere = ToProto(t.MissingHere),
        MissingThere = ToProto(t.MissingThere),
        AmountDifferences = ToProto(t.AmountDifferences),
        AmountDifferenceFen = t.AmountDifferenceFen,
        HeldForReview = ToProto(t.HeldForReview),
        RefundsAndReversals = ToProto(t.RefundsAndReversals),
    };

    private static ProtoTally ToProto(Tally t) => new() { Count = t.Count, AmountFen = t.AmountFen };

    private static ProtoDiscrepancy ToProto(Discrepancy d) => new()
    {
        DiscrepancyId = d.DiscrepancyId.ToString(),
        StatementId = d.StatementId.ToString(),
        Channel = ContractValues.ToProtoChannel(d.Channel),
        StatementDate = d.StatementDate.ToProtoDate(),
        Kind = d.Kind switch
        {
            DiscrepancyKind.MissingHere => ProtoDiscrepancyKind.MissingHere,
            DiscrepancyKind.MissingThere => ProtoDiscrepancyKind.MissingThere,
            _ => ProtoDiscrepancyKind.AmountDifference,
        },
        ChannelTransactionId = d.ChannelTransactionId,
        State = d.State switch
        {
            DiscrepancyState.Open => ProtoDiscrepancyState.Open,
            DiscrepancyState.Resolved => ProtoDiscrepancyState.Resolved,
            _ => ProtoDiscrepancyState.Superseded,
        },
        CreateTime = Timestamp.FromDateTimeOffset(d.CreatedAt),
        LineNumber = d.LineNumber ?? 0,
        MerchantOrderId = d.MerchantOrderId,
        ChannelAmountFen = d.ChannelAmountFen ?? 0,
        ChannelTime = d.ChannelTime is { } channelTime ? Timestamp.FromDateTimeOffset(channelTime) : null,
        PlatformAmountFen = d.PlatformAmountFen ?? 0,
        PlatformPaidTime = d.PlatformPaidAt is { } paidAt ? Timestamp.FromDateTimeOffset(paidAt) : null,
        OrderIds = { d.OrderIds.Select(o => o.ToString()) },
        Resolution = d.Resolution is { } r
            ? new Payment.V1.Resolution
            {
                Action = r.Action switch
                {
                    ResolutionAction.ConfirmLatePayment => ProtoResolutionAction.ConfirmLatePayment,
                    ResolutionAction.RefundToPayer => ProtoResolutionAction.RefundToPayer,
                    ResolutionAction.ChannelErrorWrittenOff => ProtoResolutionAction.ChannelErrorWrittenOff,
                    _ => ProtoResolutionAction.MatchedManually,
                },
                Note = r.Note,
                ResolvedBy = r.ResolvedBy,
                ResolveTime = Timestamp.FromDateTimeOffset(r.ResolvedAt),
                RequestId = r.RequestId,
            }
            : null,
    };
}
