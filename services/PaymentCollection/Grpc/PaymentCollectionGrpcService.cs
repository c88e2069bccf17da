using Medins;
using Google.Rpc;
using Grpc.Core;
using Medins.Contribution.V1;
using Medins.Identity.V1;
using Medins.Payment.V1;
using Medins.PaymentCollection.Data;
using Medins.PaymentCollection.Domain;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Messaging;
using Medins.Platform.Hosting.Tenancy;
using Microsoft.Extensions.Options;
using Npgsql;
using DomainOrder = Medins.PaymentCollection.Domain.PaymentOrder;

namespace Medins.PaymentCollection.Grpc;

/// <summary>Maps the gRPC contract to the payment rules, the order store, the outbox and the upstream services.</summary>
public sealed class PaymentCollectionGrpcService(
    PlatformDatabase db,
    RequestLog requestLog,
    Outbox outbox,
    TenantContext tenant,
    TimeProvider time,
    IOptions<PaymentCollectionOptions> options,
    IdentityRegistryService.IdentityRegistryServiceClient identityRegistry,
    ContributionCalculationService.ContributionCalculationServiceClient contributionCalculation)
    : PaymentCollectionService.PaymentCollectionServiceBase
{
    private const string IdentityRegistry = "identity-registry";
    private const string ContributionCalculation = "contribution-calculation";
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 500;
    private const int MaxIdLength = 128;
    // Upstream calls run inside the order's transaction, so a stuck upstream must not hold it for long.
    private static readonly TimeSpan UpstreamTimeout = TimeSpan.FromSeconds(10);

    public override async Task<CreatePaymentOrderResponse> CreatePaymentOrder(CreatePaymentOrderRequest request,
        ServerCallContext context)
    {
        var channel = ProtoMapping.ChannelCode(request.Channel);
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

        return await WithConflictRetryAsync(() => db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(CreatePaymentOrder), request.RequestId, request,
                CreatePaymentOrderResponse.Parser, async () =>
                {
                    // Asked inside the request-log transaction: a replay must get the first answer, not a fresh lookup.
                    var resident = await GetResidentAsync(request.ResidentId, ct);
                    var quote = await QuoteAsync(request, resident, ct);
                    var price = ToPrice(quote);

                    await PaymentOrderStore.LockCoverageYearAsync(conn, tx, tenantId, request.ResidentId, request.CoverageYear, ct);
                    var settled = await PaymentOrderStore.CoverageYearSettledAsync(conn, tx, tenantId, request.ResidentId,
                        request.CoverageYear, excludingOrderId: null, ct);
                    var now = Now();
                    DomainOrder order;
                    try
                    {
                        order = DomainOrder.Open(Guid.CreateVersion7(now), request.ResidentId, resident.VillageCode,
                            request.CoverageYear, channel!, price, settled, now, options.Value.OrderExpiry);
                    }
                    catch (PaymentRuleException ex)
                    {
                        throw RpcErrors.FailedPrecondition(ex.Reason, ex.Message);
                    }
                    await PaymentOrderStore.InsertOrderAsync(conn, tx, tenantId, order, Google.Protobuf.JsonFormatter.Default.Format(quote), ct);

                    if (order.IsZeroContribution)
                    {
                        // Zero contribution: the enrolment is confirmed here, as no channel will ever confirm it.
                        await PaymentOrderStore.RecordConfirmationAsync(conn, tx, tenantId, order.OrderId, order.Channel,
                            channelTransactionId: null, amountFen: 0, reportedPaidAt: null, now,
                            PaymentOrderStore.ZeroContributionOutcome, ct);
                        await outbox.AddAsync(conn, tx, tenantId, EventTopics.ContributionPaid,
                            ProtoMapping.ToContributionPaid(tenantId, order), ct);
                    }
                    return new CreatePaymentOrderResponse { Order = ProtoMapping.ToProto(order, now) };
                }, ct), ct));
    }

    public override async Task<ConfirmPaymentResponse> ConfirmPayment(ConfirmPaymentRequest request, ServerCallContext context)
    {
        var validator = new RequestValidator()
            .Require(request.OrderId, "order_id")
            .Require(request.ChannelTransactionId, "channel_transaction_id")
            .Check(request.ChannelTransactionId.Length <= MaxIdLength, "channel_transaction_id",
                $"must be at most {MaxIdLength} characters")
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
        }
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;
        var notice = new ConfirmationNotice(request.ChannelTransactionId, request.AmountFen, reportedPaidAt);

        var decision = await WithConflictRetryAsync(() => db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var now = Now();
            var found = await PaymentOrderStore.FindOrderAsync(conn, tx, tenantId, orderId, forUpdate: false, ct);
            if (found is null)
            {
                // A channel claims money for an order this tenant does not have: keep the notice for review.
                var unknownId = await PaymentOrderStore.RecordConfirmationAsync(conn, tx, tenantId, orderId, channel: null,
                    notice.ChannelTransactionId, notice.AmountFen, notice.ReportedPaidAt, now,
                    PaymentOrderStore.OrderNotFoundOutcome, ct);
                await PaymentOrderStore.QueueReviewAsync(conn, tx, tenantId, unknownId, orderId, notice.ChannelTransactionId,
                    notice.AmountFen, "ORDER_NOT_FOUND", $"No payment order {orderId} in this tenant.", now, ct);
                return null;
            }

            await PaymentOrderStore.LockCoverageYearAsync(conn, tx, tenantId, found.ResidentId, found.CoverageYear, ct);
            var order = (await PaymentOrderStore.FindOrderAsync(conn, tx, tenantId, orderId, forUpdate: true, ct))!;
            var facts = new ConfirmationFacts(
                await PaymentOrderStore.CoverageYearSettledAsync(conn, tx, tenantId, order.ResidentId, order.CoverageYear,
                    excludingOrderId: orderId, ct),
                await PaymentOrderStore.TransactionSettledAnotherOrderAsync(conn, tx, tenantId, order.Channel,
                    notice.ChannelTransactionId, orderId, ct));
            var decided = ConfirmationRules.Decide(order, notice, facts, now);

            if (decided.Order != order)
                await PaymentOrderStore.UpdateOrderAsync(conn, tx, tenantId, decided.Order, ct);
            var confirmationId = await PaymentOrderStore.RecordConfirmationAsync(conn, tx, tenantId, orderId, order.Channel,
                notice.ChannelTransactionId, notice.AmountFen, notice.ReportedPaidAt, now,
                PaymentOrderStore.OutcomeCode(decided.Outcome), ct);
            if (decided.NeedsReview)
                await PaymentOrderStore.QueueReviewAsync(conn, tx, tenantId, confirmationId, orderId,
                    notice.ChannelTransactionId, notice.AmountFen, decided.Reason!, decided.Explanation, now, ct);
            if (decided.Outcome == ConfirmationOutcome.Confirmed)
                await outbox.AddAsync(conn, tx, tenantId, EventTopics.ContributionPaid,
                    ProtoMapping.ToContributionPaid(tenantId, decided.Order), ct);
            return decided;
        }, ct));

        // Refusals are thrown only now, after the notice and its review item have committed.
        if (decision is null)
            throw RpcErrors.NotFound("ORDER_NOT_FOUND", $"No payment order {orderId}.");
        if (!decision.Accepted)
            throw RpcErrors.Build(Code.FailedPrecondition, decision.Reason!, decision.Explanation, null,
                new Dictionary<string, string>
                {
                    ["order_id"] = orderId.ToString(),
                    ["order_amount_fen"] = decision.Order.PersonalAmountFen.ToString(),
                    ["reported_amount_fen"] = notice.AmountFen.ToString(),
                });
        return new ConfirmPaymentResponse { Order = ProtoMapping.ToProto(decision.Order, Now()) };
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
            ? throw RpcErrors.NotFound("ORDER_NOT_FOUND", $"No payment order {orderId}.")
            : new GetPaymentOrderResponse { Order = ProtoMapping.ToProto(order, Now()) };
    }

    public override async Task<ListPaymentOrdersResponse> ListPaymentOrders(ListPaymentOrdersRequest request,
        ServerCallContext context)
    {
        var residentFilter = request.ResidentId.Trim();
        Guid? after = null;
        var validator = new RequestValidator()
            .Check(request.PageSize >= 0, "page_size", "must not be negative")
            .Check(residentFilter.Length <= MaxIdLength, "resident_id", $"must be at most {MaxIdLength} characters");
        if (request.PageToken.Length > 0)
        {
            after = OrderPageToken.Decode(request.PageToken, residentFilter);
            validator.Check(after is not null, "page_token", "must be a next_page_token returned for the same resident_id");
        }
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var pageSize = request.PageSize == 0 ? DefaultPageSize : Math.Min(request.PageSize, MaxPageSize);

        var orders = await db.InTenantAsync(tenantId, (conn, tx) =>
            PaymentOrderStore.ListOrdersAsync(conn, tx, tenantId, residentFilter.Length == 0 ? null : residentFilter, after,
                pageSize + 1, context.CancellationToken), context.CancellationToken);

        var now = Now();
        var response = new ListPaymentOrdersResponse();
        response.Orders.AddRange(orders.Take(pageSize).Select(o => ProtoMapping.ToProto(o, now)));
        if (orders.Count > pageSize)
            response.NextPageToken = OrderPageToken.Encode(residentFilter, orders[pageSize - 1].OrderId);
        return response;
    }

    private async Task<Resident> GetResidentAsync(string residentId, CancellationToken ct)
    {
        var resident = await CallUpstreamAsync(IdentityRegistry, "RESIDENT_NOT_FOUND", callCt =>
            identityRegistry.GetResidentAsync(new GetResidentRequest { ResidentId = residentId }, cancellationToken: callCt)
                .ResponseAsync, ct);
        if (resident.Resident is null || string.IsNullOrWhiteSpace(resident.Resident.VillageCode))
            throw UpstreamErrors.BadResponse(IdentityRegistry, $"no village for resident {residentId}");
        return resident.Resident;
    }

    private async Task<Quote> QuoteAsync(CreatePaymentOrderRequest request, Resident resident, CancellationToken ct)
    {
        var paymentDate = ShanghaiCalendar.ToDate(Now());
        var quoteRequest = new QuoteContributionRequest
        {
            CoverageYear = request.CoverageYear,
            BirthDate = resident.BirthDate,
            Tier = request.Tier,
            PaymentDate = paymentDate.ToProtoDate(),
            // Only the person's own part is collected: her certified identities price the subsidy.
            IdentityCodes = { resident.IdentityCodesOn(paymentDate) },
        };
        var response = await CallUpstreamAsync(ContributionCalculation, notFoundReason: null, callCt =>
            contributionCalculation.QuoteContributionAsync(quoteRequest, cancellationToken: callCt).ResponseAsync, ct);
        return response.Quote ?? throw UpstreamErrors.BadResponse(ContributionCalculation, "no quote");
    }

    private static PricedContribution ToPrice(Quote quote)
    {
        var start = quote.BenefitStartDate.ToDateOnly();
        var end = quote.BenefitEndDate.ToDateOnly();
        if (start is null || end is null || string.IsNullOrEmpty(quote.PolicyId)
            || quote.PersonalAmountFen < 0 || quote.SubsidyAmountFen < 0)
            throw UpstreamErrors.BadResponse(ContributionCalculation, "an incomplete quote");
        return new PricedContribution(quote.Tier, quote.PersonalAmountFen, quote.SubsidyAmountFen, quote.PolicyId,
            quote.PolicyVersion, start.Value, end.Value);
    }

    private async Task<T> CallUpstreamAsync<T>(string upstream, string? notFoundReason, Func<CancellationToken, Task<T>> call,
        CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(UpstreamTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            return await call(linked.Token);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException
                                   && timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw UpstreamErrors.Timeout(upstream);
        }
        catch (RpcException ex)
        {
            throw UpstreamErrors.Map(ex, upstream, notFoundReason);
        }
    }

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
                throw RpcErrors.Build(Code.Aborted, "CONCURRENT_CONFLICT",
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

    // PostgreSQL keeps microseconds: an order answered now must equal the same order read back later.
    private DateTimeOffset Now() => TruncateToMicroseconds(time.UtcNow());

    private static DateTimeOffset TruncateToMicroseconds(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % 10, TimeSpan.Zero);
}
