using Grpc.Core;
using Medins.Payment.V1;
using Medins.PaymentCollection.Core;
using Medins.PaymentCollection.Orders;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Grpc;

/// <summary>A day's collection at a glance: what the console's peak page polls.</summary>
public sealed partial class PaymentCollectionGrpcService
{
    public override async Task<GetCollectionActivityResponse> GetCollectionActivity(GetCollectionActivityRequest request,
        ServerCallContext context)
    {
        var date = request.Date is null ? ShanghaiCalendar.Today(time) : request.Date.ToDateOnly();
        new RequestValidator().Check(date is not null, "date", "must be a calendar date").ThrowIfInvalid();
        var day = date!.Value;
        var from = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), ShanghaiCalendar.Offset);
        var tenantId = tenant.RequireTenant();

        var activity = await db.InTenantAsync(tenantId, (conn, tx) =>
            CollectionActivityStore.ReadAsync(conn, tx, tenantId, ContractValues.AllChannelCodes, from, from.AddDays(1),
                context.CancellationToken), context.CancellationToken);

        var response = new GetCollectionActivityResponse
        {
            Date = day.ToProtoDate(),
            OpenReviewCount = activity.OpenReviews,
            ReviewsOpenedCount = activity.ReviewsOpened,
            PendingEventCount = activity.PendingEvents,
            ReadTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(time.GetUtcNow()),
        };
        response.Channels.AddRange(activity.Channels
            .Select(c => new ChannelActivity { Channel = ContractValues.ToProtoChannel(c.Channel), ConfirmedCount = c.Count, ConfirmedAmountFen = c.AmountFen })
            .OrderBy(c => c.Channel));
        response.ConfirmedCount = response.Channels.Sum(c => c.ConfirmedCount);
        response.ConfirmedAmountFen = response.Channels.Sum(c => c.ConfirmedAmountFen);
        return response;
    }
}
