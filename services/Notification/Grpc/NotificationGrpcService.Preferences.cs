using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Notification.Data;
using Medins.Notification.Domain;
using Medins.Notification.V1;
using Medins.Platform.Hosting;

namespace Medins.Notification.Grpc;

public sealed partial class NotificationGrpcService
{
    private const int MaxResidentIdLength = 64;
    private const int MaxSourceLength = 100;

    public override async Task<UpdateContactPreferenceResponse> UpdateContactPreference(UpdateContactPreferenceRequest request,
        ServerCallContext context)
    {
        var preference = request.Preference ?? new ContactPreference();
        var optOut = FromProtoOptOut(preference.OptOut);
        var validator = new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Check(request.Preference is not null, "preference", "is required")
            .Require(preference.ResidentId, "preference.resident_id")
            .Check(preference.ResidentId.Length <= MaxResidentIdLength, "preference.resident_id", $"must be at most {MaxResidentIdLength} characters")
            .Check(optOut is not null, "preference.opt_out", "must be NONE, REMINDERS or ALL")
            .Require(preference.Source, "preference.source")
            .Check(preference.Source.Length <= MaxSourceLength, "preference.source", $"must be at most {MaxSourceLength} characters");
        CheckOpenId(validator, preference.WechatOpenid, "preference.wechat_openid");
        validator.ThrowIfInvalid();

        var tenantId = tenant.RequireTenant();
        return await db.InTenantAsync(tenantId, (conn, tx) => requestLog.RunOnceAsync(conn, tx, tenantId, nameof(UpdateContactPreference),
            request.RequestId, request, UpdateContactPreferenceResponse.Parser, async () =>
            {
                await ContactBook.UpsertPreferenceAsync(conn, tx, tenantId, preference.ResidentId, optOut!, preference.WechatOpenid,
                    preference.Source, time.UtcNow(), context.CancellationToken);
                var stored = await ContactBook.PreferenceAsync(conn, tx, tenantId, preference.ResidentId, context.CancellationToken);
                return new UpdateContactPreferenceResponse { Preference = ToProto(stored!) };
            }, context.CancellationToken), context.CancellationToken);
    }

    public override async Task<GetContactPreferenceResponse> GetContactPreference(GetContactPreferenceRequest request,
        ServerCallContext context)
    {
        new RequestValidator()
            .Require(request.ResidentId, "resident_id")
            .Check(request.ResidentId.Length <= MaxResidentIdLength, "resident_id", $"must be at most {MaxResidentIdLength} characters")
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var stored = await db.InTenantAsync(tenantId,
            (conn, tx) => ContactBook.PreferenceAsync(conn, tx, tenantId, request.ResidentId, context.CancellationToken),
            context.CancellationToken);
        return new GetContactPreferenceResponse
        {
            // Never recorded: she receives everything, by SMS.
            Preference = stored is null
                ? new ContactPreference { ResidentId = request.ResidentId, OptOut = OptOutScope.None }
                : ToProto(stored),
        };
    }

    private static ContactPreference ToProto(ContactPreferenceRow row) => new()
    {
        ResidentId = row.ResidentId,
        OptOut = ToProtoOptOut(row.OptOut),
        WechatOpenid = row.WeChatOpenId,
        Source = row.Source,
        UpdateTime = Timestamp.FromDateTimeOffset(row.UpdateTime),
    };

    private static OptOutScope ToProtoOptOut(string scope) => scope switch
    {
        OptOut.None => OptOutScope.None,
        OptOut.Reminders => OptOutScope.Reminders,
        OptOut.All => OptOutScope.All,
        _ => OptOutScope.Unspecified,
    };

    private static string? FromProtoOptOut(OptOutScope scope) => scope switch
    {
        OptOutScope.None => OptOut.None,
        OptOutScope.Reminders => OptOut.Reminders,
        OptOutScope.All => OptOut.All,
        _ => null,
    };
}
