using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Orders;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Paging;
using Medins.Platform.Hosting.Tenancy;
using Npgsql;
using DomainAgent = Medins.PaymentCollection.VillageCash.CashAgent;
using DomainBalance = Medins.PaymentCollection.VillageCash.CashBalance;
using DomainOrder = Medins.PaymentCollection.Core.PaymentOrder;
using DomainReceipt = Medins.PaymentCollection.VillageCash.CashReceipt;
using DomainRemittance = Medins.PaymentCollection.VillageCash.CashRemittance;
using ProtoAgent = Medins.Payment.V1.CashAgent;
using ProtoBalance = Medins.Payment.V1.CashBalance;
using ProtoReceipt = Medins.Payment.V1.CashReceipt;
using ProtoRemittance = Medins.Payment.V1.CashRemittance;

namespace Medins.PaymentCollection.VillageCash;

/// <summary>Maps the village cash contract to the cash desk (the rules) and the cash store.</summary>
public sealed partial class VillageCashGrpcService(
    PlatformDatabase db,
    RequestLog requestLog,
    TenantContext tenant,
    CashDesk desk,
    VillageDirectory villages,
    TimeProvider time)
    : VillageCashService.VillageCashServiceBase
{
    private const int MaxIdLength = 128;

    // The balance lists' names in their page tokens: a token of one list is refused by the other.
    private const string VillageList = "village-balances";
    private const string AgentList = "agent-balances";

    public override async Task<RegisterCashAgentResponse> RegisterCashAgent(RegisterCashAgentRequest request,
        ServerCallContext context)
    {
        var name = request.Name.Trim();
        var validator = ValidateRequestId(request.RequestId)
            .Require(request.AgentId, "agent_id")
            .Require(name, "name")
            .Check(name.Length <= 64 && !name.Any(char.IsControl), "name", "must be at most 64 printable characters")
            .Require(request.VillageCode, "village_code")
            .Check(request.VillageCode.Length == 0 || VillageCodePattern().IsMatch(request.VillageCode), "village_code",
                "must be a 12-digit village or community code");
        CheckAgentId(request.AgentId, validator).ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;
        if (!await villages.IsTenantVillageAsync(request.VillageCode, ct))
            throw RpcErrors.InvalidArgument(ErrorReason.UnknownVillage,
                $"'{request.VillageCode}' is not a village or community of this tenant.",
                ("village_code", "must be a village or community of this tenant"));

        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(RegisterCashAgent), request.RequestId, request,
                RegisterCashAgentResponse.Parser, async () =>
                {
                    var agent = new DomainAgent(request.AgentId, name, request.VillageCode, Now());
                    if (!await CashStore.InsertAgentAsync(conn, tx, tenantId, agent, ct))
                        throw RpcErrors.AlreadyExists(ErrorReason.AgentAlreadyRegistered,
                            $"Agent '{request.AgentId}' is already registered in this tenant.");
                    return new RegisterCashAgentResponse { Agent = ToProto(agent) };
                }, ct), ct);
    }

    public override async Task<RecordCashCollectionResponse> RecordCashCollection(RecordCashCollectionRequest request,
        ServerCallContext context)
    {
        var validator = ValidateRequestId(request.RequestId)
            .Require(request.AgentId, "agent_id")
            .Require(request.ResidentId, "resident_id")
            .Check(request.ResidentId.Length <= MaxIdLength, "resident_id", $"must be at most {MaxIdLength} characters")
            .Check(request.CoverageYear is >= 2000 and <= 2100, "coverage_year", "must be a year such as 2024")
            .Check(request.Tier >= 0, "tier", "must be 0 (the policy's default) or a tier number")
            .Check(request.HasReceivedAmountFen, "received_amount_fen", "is required (0 for a fully subsidised person)")
            .Check(request.ReceivedAmountFen >= 0, "received_amount_fen", "must not be negative");
        CheckAgentId(request.AgentId, validator).ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        const string rpc = nameof(RecordCashCollection);
        // A replay gets the first receipt before anything else, not a fresh quote.
        if (await requestLog.TryGetAnswerAsync(db, tenantId, rpc, request.RequestId, request,
                RecordCashCollectionResponse.Parser, ct) is { } stored)
            return stored;

        return await OrderBook.WithFreshQuoteAsync(async () =>
        {
            // Priced with no transaction open; an upstream failure is thrown where the order opens, after the agent check.
            var priced = await desk.PriceAsync(request.AgentId, request.ResidentId, request.CoverageYear, request.Tier, ct);
            return await db.InTenantAsync(tenantId, (conn, tx) =>
                requestLog.RunOnceAsync(conn, tx, tenantId, rpc, request.RequestId, request,
                    RecordCashCollectionResponse.Parser, async () =>
                    {
                        var agent = await RegisteredAgentAsync(conn, tx, tenantId, request.AgentId, ct);
                        var (order, receipt) = await desk.CollectAsync(conn, tx, tenantId, agent,
                            request.ResidentId, request.CoverageYear, request.Tier, request.ReceivedAmountFen, priced, ct);
                        return new RecordCashCollectionResponse { Receipt = ToProto(order, receipt) };
                    }, ct), ct);
        });
    }

    public override async Task<RemitCashResponse> RemitCash(RemitCashRequest request, ServerCallContext context)
    {
        var depositReference = request.DepositReference.Trim();
        var validator = ValidateRequestId(request.RequestId)
            .Require(request.AgentId, "agent_id")
            .Require(depositReference, "deposit_reference")
            .Check(depositReference.Length <= 64 && !depositReference.Any(char.IsControl), "deposit_reference",
                "must be at most 64 printable characters")
            .Check(request.AmountFen > 0, "amount_fen", "must be positive");
        var date = request.CollectionDate.ToDateOnly();
        validator.Check(date is not null, "collection_date", "must be a calendar date")
            .Check(date is null || date <= ShanghaiCalendar.Today(time), "collection_date", "must not be a future day");
        CheckAgentId(request.AgentId, validator).ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        try
        {
            return await db.InTenantAsync(tenantId, (conn, tx) =>
                requestLog.RunOnceAsync(conn, tx, tenantId, nameof(RemitCash), request.RequestId, request,
                    RemitCashResponse.Parser, async () =>
                    {
                        var agent = await RegisteredAgentAsync(conn, tx, tenantId, request.AgentId, ct);
                        var remittance = await desk.RemitAsync(conn, tx, tenantId, agent, date!.Value, depositReference,
                            request.AmountFen, ct);
                        return new RemitCashResponse { Remittance = ToProto(remittance) };
                    }, ct), ct);
        }
        catch (PostgresException ex) when (ex is { SqlState: PostgresErrorCodes.UniqueViolation,
                                                   ConstraintName: "cash_remittances_one_per_deposit" })
        {
            // Another agent's remittance with the same slip committed between the check and the insert.
            throw RpcErrors.FailedPrecondition(ErrorReason.DepositReferenceReused,
                $"Deposit slip '{depositReference}' already handed in another remittance.");
        }
    }

    public override async Task<GetAgentCashBalanceResponse> GetAgentCashBalance(GetAgentCashBalanceRequest request,
        ServerCallContext context)
    {
        var validator = new RequestValidator().Require(request.AgentId, "agent_id");
        var date = DateOrToday(request.Date, "date", validator);
        CheckAgentId(request.AgentId, validator).ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        return await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var agent = await CashStore.FindAgentAsync(conn, tx, tenantId, request.AgentId, ct)
                ?? throw RpcErrors.NotFound(ErrorReason.AgentNotFound, $"No cash agent '{request.AgentId}' in this tenant.");
            var balance = await CashStore.AgentBalanceAsync(conn, tx, tenantId, agent.AgentId, date, ct);
            var cutoff = await desk.CutoffAsync(conn, tx, tenantId, ct);
            return new GetAgentCashBalanceResponse
            {
                Agent = ToProto(agent),
                Date = date.ToProtoDate(),
                Balance = ToProto(balance),
                CutoffTime = Timestamp.FromDateTimeOffset(CashRules.CutoffInstant(date, cutoff)),
                Overdue = CashRules.IsOverdue(date, cutoff, balance.UnremittedFen, time.GetUtcNow()),
            };
        }, ct);
    }

    public override async Task<ListVillageCashBalancesResponse> ListVillageCashBalances(
        ListVillageCashBalancesRequest request, ServerCallContext context)
    {
        var query = ValidateBalanceQuery(request.Date, request.DivisionCode, request.PageSize, request.PageToken,
            VillageList, keyParts: 1);
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        var (rows, cutoff) = await db.InTenantAsync(tenantId, async (conn, tx) =>
            (await CashStore.VillageBalancesAsync(conn, tx, tenantId, query.Date, query.Division, query.After[0],
                    query.PageSize + 1, ct),
             await desk.CutoffAsync(conn, tx, tenantId, ct)), ct);

        var response = new ListVillageCashBalancesResponse
        {
            Date = query.Date.ToProtoDate(),
            CutoffTime = Timestamp.FromDateTimeOffset(CashRules.CutoffInstant(query.Date, cutoff)),
        };
        response.Villages.AddRange(rows.Take(query.PageSize).Select(v => new VillageCashBalance
        {
            VillageCode = v.VillageCode,
            AgentCount = v.AgentCount,
            Balance = ToProto(v.Balance),
        }));
        if (rows.Count > query.PageSize)
            response.NextPageToken = PageTokens.Encode(VillageList, query.TokenFilter, rows[query.PageSize - 1].VillageCode);
        return response;
    }

    public override async Task<ListAgentCashBalancesResponse> ListAgentCashBalances(
        ListAgentCashBalancesRequest request, ServerCallContext context)
    {
        var query = ValidateBalanceQuery(request.Date, request.DivisionCode, request.PageSize, request.PageToken,
            AgentList, keyParts: 2);
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        var (rows, cutoff) = await db.InTenantAsync(tenantId, async (conn, tx) =>
            (await CashStore.AgentBalancesAsync(conn, tx, tenantId, query.Date, query.Division, query.After[0],
                    query.After[1], query.PageSize + 1, ct),
             await desk.CutoffAsync(conn, tx, tenantId, ct)), ct);

        var now = time.GetUtcNow();
        var response = new ListAgentCashBalancesResponse
        {
            Date = query.Date.ToProtoDate(),
            CutoffTime = Timestamp.FromDateTimeOffset(CashRules.CutoffInstant(query.Date, cutoff)),
        };
        response.Agents.AddRange(rows.Take(query.PageSize).Select(a => new AgentCashBalance
        {
            Agent = ToProto(a.Agent),
            Balance = ToProto(a.Balance),
            Overdue = CashRules.IsOverdue(query.Date, cutoff, a.Balance.UnremittedFen, now),
        }));
        if (rows.Count > query.PageSize)
        {
            var last = rows[query.PageSize - 1].Agent;
            response.NextPageToken = PageTokens.Encode(AgentList, query.TokenFilter, last.VillageCode, last.AgentId);
        }
        return response;
    }

    private sealed record BalanceQuery(DateOnly Date, string Division, int PageSize, string[] After)
    {
        /// <summary>The filter a page token is issued under: the day and the division.</summary>
        public string TokenFilter => Filter(Date, Division);

        public static string Filter(DateOnly date, string division) =>
            $"{date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)}|{division}";
    }

    /// <summary>The day, division and page of a balance list, or INVALID_ARGUMENT naming each bad field.</summary>
    private BalanceQuery ValidateBalanceQuery(Google.Type.Date? requestDate, string divisionCode, int pageSize,
        string pageToken, string list, int keyParts)
    {
        var division = divisionCode.Trim();
        var validator = new RequestValidator()
            .CheckPageSize(pageSize)
            .Check(division.Length == 0 || DivisionCodePattern().IsMatch(division), "division_code",
                "must be a 6, 9 or 12-digit division code");
        var date = DateOrToday(requestDate, "date", validator);
        validator.ThrowIfInvalid();
        // A bad token is INVALID_PAGE_TOKEN, as on every list (it was INVALID_REQUEST among the other fields before).
        var after = PageTokens.Decode(pageToken, list, BalanceQuery.Filter(date, division), keyParts);
        // The empty key sorts before every village and agent: the first page.
        if (after.Length == 0) after = Enumerable.Repeat("", keyParts).ToArray();
        return new BalanceQuery(date, division, PageTokens.PageSize(pageSize), after);
    }

    public override async Task<SetCashRemittanceCutoffResponse> SetCashRemittanceCutoff(
        SetCashRemittanceCutoffRequest request, ServerCallContext context)
    {
        var cutoffTime = request.CutoffTime;
        var validator = ValidateRequestId(request.RequestId)
            .Check(cutoffTime is { Hours: >= 0 and <= 23, Minutes: >= 0 and <= 59, Seconds: 0, Nanos: 0 }, "cutoff_time",
                "must be a time of day in hours and minutes, 00:00 to 23:59");
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;
        var cutoff = new TimeOnly(cutoffTime!.Hours, cutoffTime.Minutes);

        return await db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(SetCashRemittanceCutoff), request.RequestId, request,
                SetCashRemittanceCutoffResponse.Parser, async () =>
                {
                    await CashStore.SetCutoffAsync(conn, tx, tenantId, cutoff, Now(), ct);
                    return new SetCashRemittanceCutoffResponse
                    {
                        CutoffTime = new Google.Type.TimeOfDay { Hours = cutoff.Hour, Minutes = cutoff.Minute },
                    };
                }, ct), ct);
    }

    private static async Task<DomainAgent> RegisteredAgentAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        string tenantId, string agentId, CancellationToken ct) =>
        await CashStore.FindAgentAsync(conn, tx, tenantId, agentId, ct)
        ?? throw RpcErrors.FailedPrecondition(ErrorReason.AgentNotRegistered,
            $"'{agentId}' is not a registered cash agent of this tenant; only registered agents may take or remit cash.");

    private static RequestValidator ValidateRequestId(string requestId) => new RequestValidator()
        .Require(requestId, "request_id")
        .Check(requestId.Length <= MaxIdLength, "request_id", $"must be at most {MaxIdLength} characters");

    private static RequestValidator CheckAgentId(string agentId, RequestValidator validator) =>
        validator.Check(agentId.Length == 0 || AgentIdPattern().IsMatch(agentId), "agent_id",
            "must be 1 to 64 letters, digits, '.', '_' or '-'");

    private DateOnly DateOrToday(Google.Type.Date? date, string field, RequestValidator validator)
    {
        if (date is null) return ShanghaiCalendar.Today(time);
        var parsed = date.ToDateOnly();
        validator.Check(parsed is not null, field, "must be a calendar date");
        return parsed ?? default;
    }

    private DateTimeOffset Now() => Microseconds.Now(time);

    private static ProtoAgent ToProto(DomainAgent agent) => new()
    {
        AgentId = agent.AgentId,
        Name = agent.Name,
        VillageCode = agent.VillageCode,
        RegisterTime = Timestamp.FromDateTimeOffset(agent.RegisteredAt),
    };

    private static ProtoReceipt ToProto(DomainOrder order, DomainReceipt? receipt)
    {
        var collectedAt = receipt?.CollectedAt ?? order.PaidAt ?? order.CreatedAt;
        return new ProtoReceipt
        {
            CashReceiptId = receipt?.CashReceiptId.ToString() ?? "",
            ReceiptNumber = order.ReceiptNumber ?? "",
            OrderId = order.OrderId.ToString(),
            ResidentId = order.ResidentId,
            VillageCode = order.VillageCode,
            CoverageYear = order.CoverageYear,
            Tier = order.Tier,
            AmountFen = receipt?.AmountFen ?? 0,
            SubsidyAmountFen = order.SubsidyAmountFen,
            CollectTime = Timestamp.FromDateTimeOffset(collectedAt),
            CollectionDate = ShanghaiCalendar.ToDate(collectedAt).ToProtoDate(),
            AgentId = order.AgentId ?? "",
        };
    }

    private static ProtoRemittance ToProto(DomainRemittance remittance) => new()
    {
        RemittanceId = remittance.RemittanceId.ToString(),
        AgentId = remittance.AgentId,
        VillageCode = remittance.VillageCode,
        CollectionDate = remittance.CollectionDate.ToProtoDate(),
        DepositReference = remittance.DepositReference,
        AmountFen = remittance.AmountFen,
        ReceiptCount = remittance.ReceiptCount,
        RemitTime = Timestamp.FromDateTimeOffset(remittance.RemittedAt),
        CutoffTime = Timestamp.FromDateTimeOffset(remittance.CutoffAt),
    };

    private static ProtoBalance ToProto(DomainBalance balance) => new()
    {
        CollectedAmountFen = balance.CollectedFen,
        CollectedReceiptCount = balance.CollectedReceipts,
        RemittedAmountFen = balance.RemittedFen,
        UnremittedAmountFen = balance.UnremittedFen,
        UnremittedReceiptCount = balance.UnremittedReceipts,
    };

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex AgentIdPattern();

    [GeneratedRegex("^[0-9]{12}$")]
    private static partial Regex VillageCodePattern();

    [GeneratedRegex("^([0-9]{6}|[0-9]{9}|[0-9]{12})$")]
    private static partial Regex DivisionCodePattern();
}
