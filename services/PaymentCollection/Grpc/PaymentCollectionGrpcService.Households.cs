using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Households;
using Medins.PaymentCollection.Orders;
using Medins.Platform.Hosting;
using DomainOrder = Medins.PaymentCollection.Core.PaymentOrder;

namespace Medins.PaymentCollection.Grpc;

/// <summary>Household orders: the members of one booklet paid together.</summary>
public sealed partial class PaymentCollectionGrpcService
{
    private const int MaxHouseholdMembers = 50;

    public override async Task<CreateHouseholdPaymentOrderResponse> CreateHouseholdPaymentOrder(
        CreateHouseholdPaymentOrderRequest request, ServerCallContext context)
    {
        var channel = ContractValues.ChannelCode(request.Channel);
        var validator = RequestIdValidator(request.RequestId)
            .Require(request.HouseholdNumber, "household_number")
            .Check(request.HouseholdNumber.Length <= MaxIdLength, "household_number", $"must be at most {MaxIdLength} characters")
            .Check(request.CoverageYear is >= 2000 and <= 2100, "coverage_year", "must be a year such as 2024")
            .Check(channel is not null, "channel", "must name a payment channel")
            .Check(request.Tier >= 0, "tier", "must be 0 (the policy's default) or a tier number")
            .Check(request.ResidentIds.Count <= MaxHouseholdMembers, "resident_ids", $"must name at most {MaxHouseholdMembers} members")
            .Check(request.ResidentIds.All(id => id.Length is > 0 and <= MaxIdLength), "resident_ids", "must be resident ids");
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        const string rpc = nameof(CreateHouseholdPaymentOrder);
        if (await requestLog.TryGetAnswerAsync(db, tenantId, rpc, request.RequestId, request,
                CreateHouseholdPaymentOrderResponse.Parser, ct) is { } stored)
            return stored;

        var householdNumber = request.HouseholdNumber.Trim();
        return await OrderBook.WithFreshQuoteAsync(async () =>
        {
            // Priced with no transaction open; every member's order then commits with the request-log claim.
            var priced = await orders.PriceHouseholdAsync(householdNumber, request.CoverageYear, request.Tier, ct);
            return await WithConflictRetryAsync(() => db.InTenantAsync(tenantId, (conn, tx) =>
                requestLog.RunOnceAsync(conn, tx, tenantId, rpc, request.RequestId, request,
                    CreateHouseholdPaymentOrderResponse.Parser, async () =>
                    {
                        var (household, members) = await orders.OpenHouseholdAsync(conn, tx, tenantId,
                            householdNumber, request.CoverageYear, channel!, request.ResidentIds.ToList(), priced, ct);
                        return new CreateHouseholdPaymentOrderResponse { HouseholdOrder = ToProto(household, members, Now()) };
                    }, ct), ct));
        });
    }

    public override async Task<GetHouseholdPaymentOrderResponse> GetHouseholdPaymentOrder(GetHouseholdPaymentOrderRequest request,
        ServerCallContext context)
    {
        var validator = new RequestValidator().Require(request.HouseholdOrderId, "household_order_id");
        var ok = Guid.TryParse(request.HouseholdOrderId, out var id);
        if (request.HouseholdOrderId.Length > 0)
            validator.Check(ok, "household_order_id", "must be an id returned by CreateHouseholdPaymentOrder");
        validator.ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var ct = context.CancellationToken;

        var response = await db.InTenantAsync(tenantId, async (conn, tx) =>
        {
            var household = await HouseholdOrderStore.FindAsync(conn, tx, tenantId, id, forUpdate: false, ct)
                ?? throw RpcErrors.NotFound(ErrorReason.HouseholdOrderNotFound, $"No household order {id}.");
            var members = await PaymentOrderStore.HouseholdMembersAsync(conn, tx, tenantId, id, ct);
            return new GetHouseholdPaymentOrderResponse { HouseholdOrder = ToProto(household, members, Now()) };
        }, ct);
        return response;
    }

    private static HouseholdPaymentOrder ToProto(HouseholdOrder household, IEnumerable<DomainOrder> members, DateTimeOffset now)
    {
        var payable = household.AsPayable();
        return new HouseholdPaymentOrder
        {
            HouseholdOrderId = household.HouseholdOrderId.ToString(),
            HouseholdNumber = household.HouseholdNumber,
            VillageCode = household.VillageCode,
            CoverageYear = household.CoverageYear,
            Channel = ContractValues.ToProtoChannel(household.Channel),
            State = ProtoMapping.ToProto(payable.EffectiveState(now)),
            TotalPersonalAmountFen = household.TotalPersonalFen,
            TotalSubsidyAmountFen = household.TotalSubsidyFen,
            ChannelTransactionId = household.ChannelTransactionId ?? "",
            CreateTime = Timestamp.FromDateTimeOffset(household.CreatedAt),
            PaidTime = household.PaidAt is { } paid ? Timestamp.FromDateTimeOffset(paid) : null,
            MemberOrders = { members.Select(m => ProtoMapping.ToProto(m, now)) },
        };
    }
}
