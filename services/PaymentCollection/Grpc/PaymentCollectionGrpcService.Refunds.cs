using Grpc.Core;
using Medins.Payment.V1;
using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Households;
using Medins.PaymentCollection.Orders;
using Medins.PaymentCollection.Refunds;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Paging;

namespace Medins.PaymentCollection.Grpc;

/// <summary>Cancelling unpaid orders and refunding paid ones.</summary>
public sealed partial class PaymentCollectionGrpcService
{
    private const int MaxTextLength = 256;

    public override async Task<CancelPaymentOrderResponse> CancelPaymentOrder(CancelPaymentOrderRequest request,
        ServerCallContext context)
    {
        var validator = RequestIdValidator(request.RequestId).Require(request.OrderId, "order_id");
        var orderId = ParseOrderId(request.OrderId, validator);
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        return await WithConflictRetryAsync(() => db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(CancelPaymentOrder), request.RequestId, request,
                CancelPaymentOrderResponse.Parser, async () =>
                {
                    var (order, household) = await orders.CancelAsync(conn, tx, tenantId, orderId, ct);
                    return household is { } h
                        ? new CancelPaymentOrderResponse { HouseholdOrder = ToProto(h.Order, h.Members, Now()) }
                        : new CancelPaymentOrderResponse { Order = ProtoMapping.ToProto(order!, Now()) };
                }, ct), ct));
    }

    public override async Task<RequestRefundResponse> RequestRefund(RequestRefundRequest request, ServerCallContext context)
    {
        var validator = RequestIdValidator(request.RequestId)
            .Require(request.OrderId, "order_id")
            .Require(request.Reason, "reason")
            .Check(request.Reason.Length <= MaxIdLength, "reason", $"must be at most {MaxIdLength} characters")
            .Require(request.EvidenceReference, "evidence_reference")
            .Check(request.EvidenceReference.Length <= MaxTextLength, "evidence_reference",
                $"must be at most {MaxTextLength} characters");
        var orderId = ParseOrderId(request.OrderId, validator);
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        const string rpc = nameof(RequestRefund);
        if (await requestLog.TryGetAnswerAsync(db, tenantId, rpc, request.RequestId, request, RequestRefundResponse.Parser, ct)
            is { } stored)
            return stored;

        var reason = request.Reason.Trim();
        return await OrderBook.WithFreshQuoteAsync(async () =>
        {
            // The policy is asked with no transaction open; the transaction uses its answer only for the same question.
            var decisions = await refunds.PrepareFullAsync(tenantId, orderId, reason, ct);
            return await WithConflictRetryAsync(() => db.InTenantAsync(tenantId, (conn, tx) =>
                requestLog.RunOnceAsync(conn, tx, tenantId, rpc, request.RequestId, request,
                    RequestRefundResponse.Parser, async () =>
                    {
                        var (order, refund) = await refunds.RequestFullAsync(conn, tx, tenantId, orderId, reason,
                            request.EvidenceReference.Trim(), tenant.Client, decisions, ct);
                        return new RequestRefundResponse
                        {
                            Refund = ProtoMapping.ToProto(refund),
                            Order = ProtoMapping.ToProto(order, Now()),
                        };
                    }, ct), ct));
        });
    }

    public override async Task<CompleteRefundResponse> CompleteRefund(CompleteRefundRequest request, ServerCallContext context)
    {
        var validator = RequestIdValidator(request.RequestId)
            .Require(request.RefundId, "refund_id")
            .Require(request.RefundReference, "refund_reference")
            .Check(request.RefundReference.Length <= MaxIdLength, "refund_reference", $"must be at most {MaxIdLength} characters");
        var refundOk = Guid.TryParse(request.RefundId, out var refundId);
        if (request.RefundId.Length > 0)
            validator.Check(refundOk, "refund_id", "must be a refund id returned by RequestRefund or ListRefunds");
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        return await WithConflictRetryAsync(() => db.InTenantAsync(tenantId, (conn, tx) =>
            requestLog.RunOnceAsync(conn, tx, tenantId, nameof(CompleteRefund), request.RequestId, request,
                CompleteRefundResponse.Parser, async () =>
                {
                    var refund = await refunds.CompleteAsync(conn, tx, tenantId, refundId, request.RefundReference.Trim(), ct);
                    return new CompleteRefundResponse { Refund = ProtoMapping.ToProto(refund) };
                }, ct), ct));
    }

    public override async Task<ListRefundsResponse> ListRefunds(ListRefundsRequest request, ServerCallContext context)
    {
        var validator = new RequestValidator()
            .CheckPageSize(request.PageSize)
            .Check(Enum.IsDefined(request.State), "state", "must be a refund state");
        Guid? orderId = null;
        if (request.OrderId.Length > 0) orderId = ParseOrderId(request.OrderId, validator);
        var filter = $"{request.OrderId}|{request.State}";
        validator.ThrowIfInvalid();
        // A bad token is INVALID_PAGE_TOKEN, as on every list (it was INVALID_REQUEST among the other fields before).
        var after = ListFilters.AfterId(PageTokens.Decode(request.PageToken, "refunds", filter, keyLength: 1));
        var tenantId = tenant.RequireTenant();
        var pageSize = PageTokens.PageSize(request.PageSize);
        Refunds.RefundState? state = request.State switch
        {
            Payment.V1.RefundState.Requested => Refunds.RefundState.Requested,
            Payment.V1.RefundState.Completed => Refunds.RefundState.Completed,
            _ => null,
        };

        var page = await db.InTenantAsync(tenantId, (conn, tx) =>
            RefundStore.ListAsync(conn, tx, tenantId, orderId, state, after, pageSize + 1, context.CancellationToken),
            context.CancellationToken);
        var response = new ListRefundsResponse();
        response.Refunds.AddRange(page.Take(pageSize).Select(ProtoMapping.ToProto));
        if (page.Count > pageSize)
            response.NextPageToken = PageTokens.Encode("refunds", filter, page[pageSize - 1].RefundId.ToString("N"));
        return response;
    }

    private static RequestValidator RequestIdValidator(string requestId) => new RequestValidator()
        .Require(requestId, "request_id")
        .Check(requestId.Length <= MaxIdLength, "request_id", $"must be at most {MaxIdLength} characters");
}
