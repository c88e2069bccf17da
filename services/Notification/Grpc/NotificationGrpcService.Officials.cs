using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Medins.Notification.Data;
using Medins.Notification.V1;
using Medins.Platform.Hosting;
using Medins.Platform.Hosting.Paging;

namespace Medins.Notification.Grpc;

public sealed partial class NotificationGrpcService
{
    private const int MaxOfficialIdLength = 64;
    private const int MaxOfficialNameLength = 50;

    // Client-chosen ids and WeChat openids: letters, digits, '_' and '-'.
    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex PlainId();

    // A mainland mobile number.
    [GeneratedRegex("^1[3-9][0-9]{9}$")]
    private static partial Regex MobileNumber();

    [GeneratedRegex("^[0-9]+$")]
    private static partial Regex Digits();

    public override async Task<RegisterOfficialResponse> RegisterOfficial(RegisterOfficialRequest request, ServerCallContext context)
    {
        var official = request.Official ?? new Official();
        var role = FromProtoRole(official.Role);
        var divisionDigits = role switch
        {
            OfficialRoles.VillageHead => 12,
            OfficialRoles.TownshipLeader => 9,
            _ => 0,
        };
        var validator = new RequestValidator()
            .Require(request.RequestId, "request_id")
            .Check(request.RequestId.Length <= 128, "request_id", "must be at most 128 characters")
            .Check(request.Official is not null, "official", "is required")
            .Require(official.OfficialId, "official.official_id")
            .Check(official.OfficialId.Length <= MaxOfficialIdLength, "official.official_id", $"must be at most {MaxOfficialIdLength} characters")
            .Check(official.OfficialId.Length == 0 || PlainId().IsMatch(official.OfficialId), "official.official_id",
                "may hold only letters, digits, '_' and '-'")
            .Require(official.Name, "official.name")
            .Check(official.Name.Length <= MaxOfficialNameLength, "official.name", $"must be at most {MaxOfficialNameLength} characters")
            .Check(role is not null, "official.role", "must be VILLAGE_HEAD or TOWNSHIP_LEADER")
            .Require(official.DivisionCode, "official.division_code")
            .Check(official.Phone.Length > 0 || official.WechatOpenid.Length > 0, "official.phone",
                "or official.wechat_openid is required: an official needs a way to be reached")
            .Check(official.Phone.Length == 0 || MobileNumber().IsMatch(official.Phone), "official.phone",
                "must be a mainland mobile number (11 digits starting 13 to 19)");
        if (divisionDigits > 0 && official.DivisionCode.Length > 0)
            validator.Check(official.DivisionCode.Length == divisionDigits && Digits().IsMatch(official.DivisionCode),
                "official.division_code", role == OfficialRoles.VillageHead
                    ? "must be a village's 12-digit code for a village head"
                    : "must be a township's 9-digit code for a township leader");
        CheckOpenId(validator, official.WechatOpenid, "official.wechat_openid");
        validator.ThrowIfInvalid();

        var tenantId = tenant.RequireTenant();
        return await db.InTenantAsync(tenantId, (conn, tx) => requestLog.RunOnceAsync(conn, tx, tenantId, nameof(RegisterOfficial),
            request.RequestId, request, RegisterOfficialResponse.Parser, async () =>
            {
                var stored = await ContactBook.UpsertOfficialAsync(conn, tx, tenantId, new OfficialRow(official.OfficialId, official.Name,
                    role!, official.DivisionCode, official.Phone, official.WechatOpenid, !official.Retired, time.UtcNow()),
                    context.CancellationToken);
                return new RegisterOfficialResponse { Official = ToProto(stored) };
            }, context.CancellationToken), context.CancellationToken);
    }

    public override async Task<ListOfficialsResponse> ListOfficials(ListOfficialsRequest request, ServerCallContext context)
    {
        new RequestValidator()
            .Check(request.DivisionCode.Length == 0 || (request.DivisionCode.Length <= 12 && Digits().IsMatch(request.DivisionCode)),
                "division_code", "must be a division code (up to 12 digits)")
            .CheckPageSize(request.PageSize)
            .ThrowIfInvalid();
        var tenantId = tenant.RequireTenant();
        var filter = $"officials|{request.DivisionCode}";
        var after = PageTokens.Decode(request.PageToken, "officials", filter, keyLength: 1);
        var pageSize = PageTokens.PageSize(request.PageSize);

        var rows = await db.InTenantAsync(tenantId, (conn, tx) => ContactBook.ListOfficialsAsync(conn, tx, tenantId, request.DivisionCode,
            after.Length == 1 ? after[0] : "", pageSize + 1, context.CancellationToken), context.CancellationToken);

        var response = new ListOfficialsResponse();
        response.Officials.AddRange(rows.Take(pageSize).Select(ToProto));
        if (rows.Count > pageSize) response.NextPageToken = PageTokens.Encode("officials", filter, rows[pageSize - 1].OfficialId);
        return response;
    }

    private static void CheckOpenId(RequestValidator validator, string openId, string field) => validator
        .Check(openId.Length <= 64, field, "must be at most 64 characters")
        .Check(openId.Length == 0 || PlainId().IsMatch(openId), field, "may hold only letters, digits, '_' and '-'");

    private static Official ToProto(OfficialRow row) => new()
    {
        OfficialId = row.OfficialId,
        Name = row.Name,
        Role = ToProtoRole(row.Role),
        DivisionCode = row.DivisionCode,
        Phone = MaskPhone(row.Phone),
        WechatOpenid = row.WeChatOpenId,
        Retired = !row.Active,
        UpdateTime = Timestamp.FromDateTimeOffset(row.UpdateTime),
    };

    /// <summary>138****5678: enough to recognise the number, not to dial it.</summary>
    internal static string MaskPhone(string phone) =>
        phone.Length == 11 ? string.Concat(phone.AsSpan(0, 3), "****", phone.AsSpan(7)) : phone.Length == 0 ? "" : "****";

    private static OfficialRole ToProtoRole(string role) => role switch
    {
        OfficialRoles.VillageHead => OfficialRole.VillageHead,
        OfficialRoles.TownshipLeader => OfficialRole.TownshipLeader,
        _ => OfficialRole.Unspecified,
    };

    private static string? FromProtoRole(OfficialRole role) => role switch
    {
        OfficialRole.VillageHead => OfficialRoles.VillageHead,
        OfficialRole.TownshipLeader => OfficialRoles.TownshipLeader,
        _ => null,
    };
}
