using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Households;
using Medins.PaymentCollection.Orders;
using Medins.PaymentCollection.Refunds;
using Medins.PaymentCollection.Reviews;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Paging;
using Medins.Platform.Hosting.Tenancy;
using Npgsql;
using DomainState = Medins.PaymentCollection.Core.OrderState;

namespace Medins.PaymentCollection.Grpc;

/// <summary>Maps the gRPC contract to the order book (the payment rules) and the order store.</summary>
public sealed partial class PaymentCollectionGrpcService(
    PlatformDatabase db,
    RequestLog requestLog,
    TenantContext tenant,
    OrderBook orders,
    RefundDesk refunds,
    ReviewDesk reviews,
    TimeProvider time)
    : PaymentCollectionService.PaymentCollectionServiceBase
{
    private const int MaxIdLength = 128;

    public override async Task<CreatePaymentOrderResponse> CreatePaymentOrder(CreatePaymentOrderRequest request,
        ServerCallContext context)
    {
        var channel = ContractValues.ChannelCode(request.Channel);
        new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= MaxIdLength, "request_id", $"must be at most {MaxIdLength} characters")
            .Require(request.ResidentId, "resident_id")
            .Check(request.ResidentId.Length <= MaxIdLength, "resident_id", $"must be at most {MaxIdLength} characters")
            .Check(request.CoverageYear is >= 2000 and <= 2100, "coverage_year", "must be a year such as 2024")
            .Check(channel is not null, "channel", "must name a payment channel")
            .Check(request.Tier >= 0, "tier", "must be 0 (the policy's default) or a tier number")
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        const string rpc = nameof(CreatePaymentOrder);
        // A replay is answered before anything else: no quote, no transaction.
        if (await requestLog.TryGetAnswerAsync(db, tenantId, rpc, request.RequestId, request,
                CreatePaymentOrderResponse.Parser, ct) is { } stored)
            return stored;

        var orderRequest = new OrderRequest(request.ResidentId, request.CoverageYear, channel!, request.Tier);
        return await OrderBook.WithFreshQuoteAsync(async () =>
        {
            // Priced with no transaction open; the claim, the person-year lock and the insert then commit together.
            var priced = await orders.PriceAsync(orderRequest, ct);
            return await WithConflictRetryAsync(() => db.InTenantAsync(tenantId, (conn, tx) =>
                orders.OpenOnceAsync(conn, tx, tenantId, orderRequest, priced, requestLog, rpc,
                    request.RequestId, request, CreatePaymentOrderResponse.Parser,
                    order => new CreatePaymentOrderResponse { Order = ProtoMapping.ToProto(order, Now()) }, ct), ct));
        });
    }

    public override async Task<ConfirmPaymentResponse> ConfirmPayment(ConfirmPaymentRequest request, ServerCallContext context)
    {
        var validator = new RequestValidator()
            .Require(request.OrderId, "order_id")
            .Require(request.ChannelTransactionId, "channel_transaction_id")
            .Check(request.ChannelTransactionId.Length <= MaxIdLength, "channel_transaction_id",
                $"must be at most {MaxIdLength} characters")
            .Check(request.HasAmountFen, "amount_fen", "is required")
            .Check(request.AmountFen >= 0, "amount_fen", "must not be negative");
        var orderId = ParseOrderId(request.OrderId, validator);
        DateTimeOffset? reportedPaidAt = null;
        if (request.PaidTime is not null)
        {
            try
            {
                reportedPaidAt = TruncateToMicroseconds(request.PaidTime.ToDateTimeOffset());
            }
            catch (InvalidOperationException)
            {
                validator.Check(false, "paid_time", "must be a valid timestamp");
            }
            // Compared with the order below; here only what no order can make true.
            validator.Check(reportedPaidAt is null || reportedPaidAt <= Now() + ReportedPaidTime.Skew, "paid_time",
                "must not be in the future");
            validator.Check(reportedPaidAt is null || reportedPaidAt >= ReportedPaidTime.Earliest, "paid_time",
                "must not be before 2000 (no order is older)");
        }
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;
        var notice = new ConfirmationNotice(request.ChannelTransactionId, request.AmountFen, reportedPaidAt);

        // Refused before anything is stored: the caller can correct the time and confirm again.
        Action<DateTimeOffset>? checkPaidTime = reportedPaidAt is { } paidAt
            ? createdAt =>
            {
                if (ReportedPaidTime.Problem(paidAt, createdAt, Now()) is { } problem)
                    throw RpcErrors.InvalidArgument(ErrorReason.PaidTimeOutOfRange, $"paid_time {problem}.",
                        $"付款时间 {ClerkText.BeijingTime(paidAt)}不合理：应在开单时间 {ClerkText.BeijingTime(createdAt)}之后、"
                        + "现在之前。请核对付款凭证上的时间后重新提交。", ("paid_time", problem));
            }
            : null;
        var decision = await WithConflictRetryAsync(() => db.InTenantAsync(tenantId, (conn, tx) =>
            orders.ConfirmAsync(conn, tx, tenantId, orderId, notice, ct, checkPaidTime), ct));

        // Refusals are thrown only now, after the notice and its review item have committed.
        if (decision is null)
            throw RpcErrors.NotFound(ErrorReason.OrderNotFound, $"No payment order {orderId}.");
        if (!decision.Accepted)
        {
            var metadata = new Dictionary<string, string>
            {
                ["order_id"] = orderId.ToString(),
                ["order_amount_fen"] = decision.Order.PersonalAmountFen.ToString(),
                ["reported_amount_fen"] = notice.AmountFen.ToString(),
            };
            if (decision.PayHouseholdOrderId is { } payInstead) metadata["household_order_id"] = payInstead.ToString();
            throw new RuleViolation(decision.ReasonValue!.Value, RefusalStatus.FailedPrecondition, decision.Explanation, metadata,
                decision.Clerk);
        }
        return decision.Household is { } household
            ? new ConfirmPaymentResponse { HouseholdOrder = ToProto(household.Order, household.Members, Now()) }
            : new ConfirmPaymentResponse { Order = ProtoMapping.ToProto(decision.Order, Now()) };
    }

    public override async Task<GetPaymentOrderResponse> GetPaymentOrder(GetPaymentOrderRequest request, ServerCallContext context)
    {
        var validator = new RequestValidator().Require(request.OrderId, "order_id");
        var orderId = ParseOrderId(request.OrderId, validator);
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var order = await db.InTenantAsync(tenantId, (conn, tx) =>
            PaymentOrderStore.FindOrderAsync(conn, tx, tenantId, orderId, forUpdate: false, context.CancellationToken),
            context.CancellationToken);
        return order is null
            ? throw RpcErrors.NotFound(ErrorReason.OrderNotFound, $"No payment order {orderId}.")
            : new GetPaymentOrderResponse { Order = ProtoMapping.ToProto(order, Now()) };
    }

    public override async Task<ListPaymentOrdersResponse> ListPaymentOrders(ListPaymentOrdersRequest request,
        ServerCallContext context)
    {
        var residentFilter = request.ResidentId.Trim();
        var division = request.DivisionCode.Trim();
        var receipt = request.ReceiptNumber.Trim();
        var channel = request.Channel == PaymentChannel.Unspecified ? null : ContractValues.ChannelCode(request.Channel);
        DomainState? state = request.State == Payment.V1.OrderState.Unspecified ? null : ProtoMapping.ToDomain(request.State);
        new RequestValidator()
            .CheckPageSize(request.PageSize)
            .Check(residentFilter.Length <= MaxIdLength, "resident_id", $"must be at most {MaxIdLength} characters")
            .Check(request.Channel == PaymentChannel.Unspecified || channel is not null, "channel", "must name a payment channel")
            .Check(request.State == Payment.V1.OrderState.Unspecified || state is not null, "state", "must name an order state")
            .Check(division.Length == 0 || ListFilters.IsDivisionCode(division), "division_code",
                "must be a 6, 9 or 12-digit division code")
            .Check(receipt.Length == 0 || ListFilters.IsReceiptNumber(receipt), "receipt_number",
                "must be a receipt number of 14 digits")
            .ThrowIfInvalid();
        var filter = new OrderListFilter(NullIfEmpty(residentFilter), channel, state, NullIfEmpty(division), NullIfEmpty(receipt));
        var after = ListFilters.AfterId(PageTokens.Decode(request.PageToken, "orders", filter.TokenKey, keyLength: 1));
        var tenantId = tenant.RequireTenant();
        var pageSize = PageTokens.PageSize(request.PageSize);

        var now = Now();
        var orders = await db.InTenantAsync(tenantId, (conn, tx) =>
            PaymentOrderStore.ListOrdersAsync(conn, tx, tenantId, filter, now, after, pageSize + 1, context.CancellationToken),
            context.CancellationToken);

        var response = new ListPaymentOrdersResponse();
        response.Orders.AddRange(orders.Take(pageSize).Select(o => ProtoMapping.ToProto(o, now)));
        if (orders.Count > pageSize)
            response.NextPageToken = PageTokens.Encode("orders", filter.TokenKey, orders[pageSize - 1].OrderId.ToString("N"));
        return response;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    /// <summary>
    /// The person-year lock prevents almost every unique violation; the rest (two orders confirmed concurrently
    /// with one channel transaction) are decided correctly by running the transaction once more.
    /// </summary>
    private static async Task<T> WithConflictRetryAsync<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            try
            {
                return await work();
            }
            catch (PostgresException again) when (again.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw RpcErrors.Build(Code.Aborted, ErrorReason.ConcurrentConflict,
                    "A concurrent payment for the same order, person or transaction won; retry to see its outcome.");
            }
        }
    }

    private static Guid ParseOrderId(string value, RequestValidator validator)
    {
        var ok = Guid.TryParse(value, out var orderId);
        if (value.Length > 0)
            validator.Check(ok, "order_id", "must be an order id returned by CreatePaymentOrder");
        return orderId;
    }

    private DateTimeOffset Now() => Microseconds.Now(time);

    private static DateTimeOffset TruncateToMicroseconds(DateTimeOffset t) => Microseconds.Truncate(t);
}
