using Grpc.Core;
using Medins.Notification.V1;

namespace Medins.Notification.Tests;

public sealed class ContactPreferenceRpcTests : NotificationRpcHost
{
    private static UpdateContactPreferenceRequest Update(string residentId = "res-1", OptOutScope optOut = OptOutScope.Reminders,
        string openId = "oResident_1", string source = "village worker 12") => new()
    {
        RequestId = Guid.NewGuid().ToString(),
        Preference = new ContactPreference { ResidentId = residentId, OptOut = optOut, WechatOpenid = openId, Source = source },
    };

    [Fact]
    public async Task UpdateContactPreference_New_StoredAndReadBack()
    {
        var client = Client(TenantA);

        var answered = (await client.UpdateContactPreferenceAsync(Update())).Preference;
        var read = (await client.GetContactPreferenceAsync(new GetContactPreferenceRequest { ResidentId = "res-1" })).Preference;

        Assert.Equal(OptOutScope.Reminders, answered.OptOut);
        Assert.Equal("oResident_1", answered.WechatOpenid);
        Assert.Equal("village worker 12", answered.Source);
        Assert.Equal(Now, answered.UpdateTime.ToDateTimeOffset());
        Assert.Equal(answered, read);
    }

    [Fact]
    public async Task UpdateContactPreference_Again_ReplacesScopeAndUnbinds()
    {
        var client = Client(TenantA);
        await client.UpdateContactPreferenceAsync(Update());
        Time.Advance(TimeSpan.FromDays(2));

        await client.UpdateContactPreferenceAsync(Update(optOut: OptOutScope.All, openId: "", source: "wechat unsubscribe"));
        var read = (await client.GetContactPreferenceAsync(new GetContactPreferenceRequest { ResidentId = "res-1" })).Preference;

        Assert.Equal(OptOutScope.All, read.OptOut);
        Assert.Equal("", read.WechatOpenid);
        Assert.Equal("wechat unsubscribe", read.Source);
        Assert.Equal(Now.AddDays(2), read.UpdateTime.ToDateTimeOffset());
    }

    [Fact]
    public async Task GetContactPreference_NeverRecorded_NoneWithoutBindingOrTime()
    {
        var read = (await Client(TenantA).GetContactPreferenceAsync(new GetContactPreferenceRequest { ResidentId = "res-unknown" })).Preference;

        Assert.Equal("res-unknown", read.ResidentId);
        Assert.Equal(OptOutScope.None, read.OptOut);
        Assert.Equal("", read.WechatOpenid);
        Assert.Null(read.UpdateTime);
    }

    [Fact]
    public async Task UpdateContactPreference_Replay_ReturnsFirstAnswer()
    {
        var client = Client(TenantA);
        var request = Update();
        var first = (await client.UpdateContactPreferenceAsync(request)).Preference;
        Time.Advance(TimeSpan.FromHours(1));

        var replay = (await client.UpdateContactPreferenceAsync(request)).Preference;

        Assert.Equal(first, replay);
    }

    [Fact]
    public async Task UpdateContactPreference_ReplayWithOtherScope_RefusedAsReused()
    {
        var client = Client(TenantA);
        var request = Update();
        await client.UpdateContactPreferenceAsync(request);
        var other = request.Clone();
        other.Preference.OptOut = OptOutScope.All;

        await RefusedAsync(StatusCode.FailedPrecondition, "REQUEST_ID_REUSED",
            () => client.UpdateContactPreferenceAsync(other).ResponseAsync);
        var read = (await client.GetContactPreferenceAsync(new GetContactPreferenceRequest { ResidentId = "res-1" })).Preference;
        Assert.Equal(OptOutScope.Reminders, read.OptOut);
    }

    [Theory]
    [InlineData("", OptOutScope.All, "oX", "worker", "preference.resident_id")]
    [InlineData("res-1", OptOutScope.Unspecified, "oX", "worker", "preference.opt_out")]
    [InlineData("res-1", OptOutScope.All, "oX", "", "preference.source")]
    [InlineData("res-1", OptOutScope.All, "o X", "worker", "preference.wechat_openid")]
    public async Task UpdateContactPreference_InvalidField_RefusedNamingIt(string residentId, OptOutScope optOut, string openId,
        string source, string field)
    {
        var violations = await RefusedAsync(StatusCode.InvalidArgument, "INVALID_REQUEST",
            () => Client(TenantA).UpdateContactPreferenceAsync(Update(residentId, optOut, openId, source)).ResponseAsync);

        Assert.Contains(violations, v => v.Field == field);
    }

    [Fact]
    public async Task UpdateContactPreference_TooLongSourceOrOpenId_Refused()
    {
        var violations = await RefusedAsync(StatusCode.InvalidArgument, "INVALID_REQUEST", () => Client(TenantA)
            .UpdateContactPreferenceAsync(Update(openId: new string('o', 65), source: new string('s', 101))).ResponseAsync);

        Assert.Contains(violations, v => v.Field == "preference.wechat_openid");
        Assert.Contains(violations, v => v.Field == "preference.source");
    }

    [Fact]
    public async Task GetContactPreference_OtherTenant_SeesTheDefaultNotTenantAsRow()
    {
        await Client(TenantA).UpdateContactPreferenceAsync(Update(optOut: OptOutScope.All));

        var seenByB = (await Client(TenantB).GetContactPreferenceAsync(new GetContactPreferenceRequest { ResidentId = "res-1" })).Preference;

        Assert.Equal(OptOutScope.None, seenByB.OptOut);
        Assert.Equal("", seenByB.WechatOpenid);
        Assert.Null(seenByB.UpdateTime);
    }

    [Fact]
    public async Task GetContactPreference_NoResidentId_Refused()
    {
        var violations = await RefusedAsync(StatusCode.InvalidArgument, "INVALID_REQUEST",
            () => Client(TenantA).GetContactPreferenceAsync(new GetContactPreferenceRequest()).ResponseAsync);

        Assert.Contains(violations, v => v.Field == "resident_id");
    }
}
