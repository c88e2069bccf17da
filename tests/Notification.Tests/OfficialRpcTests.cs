using Grpc.Core;
using Medins.Notification.V1;

namespace Medins.Notification.Tests;

public sealed class OfficialRpcTests : NotificationRpcHost
{
    private const string Village = "500102901001";
    private const string Township = "500102901";

    private static RegisterOfficialRequest Register(string officialId = "head-1", OfficialRole role = OfficialRole.VillageHead,
        string division = Village, string phone = "13812345678", string openId = "") => new()
    {
        RequestId = Guid.NewGuid().ToString(),
        Official = new Official
        {
            OfficialId = officialId,
            Name = "王示例",
            Role = role,
            DivisionCode = division,
            Phone = phone,
            WechatOpenid = openId,
        },
    };

    [Fact]
    public async Task RegisterOfficial_VillageHead_StoredAndAnsweredWithMaskedPhone()
    {
        var official = (await Client(TenantA).RegisterOfficialAsync(Register(openId: "oAbc_123-x"))).Official;

        Assert.Equal("head-1", official.OfficialId);
        Assert.Equal("王示例", official.Name);
        Assert.Equal(OfficialRole.VillageHead, official.Role);
        Assert.Equal(Village, official.DivisionCode);
        Assert.Equal("138****5678", official.Phone);
        Assert.Equal("oAbc_123-x", official.WechatOpenid);
        Assert.False(official.Retired);
        Assert.Equal(Now, official.UpdateTime.ToDateTimeOffset());
        await using var cmd = Db.Owner.CreateCommand("SELECT phone FROM notification.officials WHERE official_id = 'head-1'");
        Assert.Equal("13812345678", await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task RegisterOfficial_ExistingId_ReplacesItWithNewUpdateTime()
    {
        var client = Client(TenantA);
        await client.RegisterOfficialAsync(Register());
        Time.Advance(TimeSpan.FromDays(1));
        var again = Register(role: OfficialRole.TownshipLeader, division: Township, phone: "", openId: "oNewOpenId");
        again.Official.Retired = true;

        var replaced = (await client.RegisterOfficialAsync(again)).Official;

        Assert.Equal(OfficialRole.TownshipLeader, replaced.Role);
        Assert.Equal(Township, replaced.DivisionCode);
        Assert.Equal("", replaced.Phone);
        Assert.True(replaced.Retired);
        Assert.Equal(Now.AddDays(1), replaced.UpdateTime.ToDateTimeOffset());
        Assert.Equal([replaced], (await client.ListOfficialsAsync(new ListOfficialsRequest())).Officials);
    }

    [Fact]
    public async Task RegisterOfficial_Replay_ReturnsFirstAnswer()
    {
        var client = Client(TenantA);
        var request = Register();
        var first = (await client.RegisterOfficialAsync(request)).Official;
        Time.Advance(TimeSpan.FromHours(1));

        var replay = (await client.RegisterOfficialAsync(request)).Official;

        Assert.Equal(first, replay);
        Assert.Equal(Now, replay.UpdateTime.ToDateTimeOffset());
    }

    [Fact]
    public async Task RegisterOfficial_ReplayWithOtherContent_RefusedAsReused()
    {
        var client = Client(TenantA);
        var request = Register();
        await client.RegisterOfficialAsync(request);
        var other = request.Clone();
        other.Official.Name = "李示例";

        await RefusedAsync(StatusCode.FailedPrecondition, "REQUEST_ID_REUSED", () => client.RegisterOfficialAsync(other).ResponseAsync);
    }

    [Theory]
    [InlineData("official_id", "", VillageHeadRole, Village, "13812345678", "", "official.official_id")]
    [InlineData("official_id", "head 1", VillageHeadRole, Village, "13812345678", "", "official.official_id")]
    [InlineData("role", "head-1", 0, Village, "13812345678", "", "official.role")]
    [InlineData("division", "head-1", VillageHeadRole, "", "13812345678", "", "official.division_code")]
    [InlineData("village code for head", "head-1", VillageHeadRole, Township, "13812345678", "", "official.division_code")]
    [InlineData("township code for leader", "leader-1", TownshipLeaderRole, Village, "13812345678", "", "official.division_code")]
    [InlineData("letters in code", "head-1", VillageHeadRole, "50010290100A", "13812345678", "", "official.division_code")]
    [InlineData("phone too short", "head-1", VillageHeadRole, Village, "1381234567", "", "official.phone")]
    [InlineData("phone not mobile", "head-1", VillageHeadRole, Village, "12812345678", "", "official.phone")]
    [InlineData("no contact", "head-1", VillageHeadRole, Village, "", "", "official.phone")]
    [InlineData("openid", "head-1", VillageHeadRole, Village, "", "o!bad", "official.wechat_openid")]
    public async Task RegisterOfficial_InvalidField_RefusedNamingIt(string rule, string officialId, int role, string division,
        string phone, string openId, string field)
    {
        _ = rule;
        var request = Register(officialId, (OfficialRole)role, division, phone, openId);

        var violations = await RefusedAsync(StatusCode.InvalidArgument, "INVALID_REQUEST",
            () => Client(TenantA).RegisterOfficialAsync(request).ResponseAsync);

        Assert.Contains(violations, v => v.Field == field);
        Assert.Empty((await Client(TenantA).ListOfficialsAsync(new ListOfficialsRequest())).Officials);
    }

    private const int VillageHeadRole = (int)OfficialRole.VillageHead;
    private const int TownshipLeaderRole = (int)OfficialRole.TownshipLeader;

    [Fact]
    public async Task RegisterOfficial_NameOrIdTooLong_Refused()
    {
        var request = Register(officialId: new string('a', 65));
        request.Official.Name = new string('王', 51);

        var violations = await RefusedAsync(StatusCode.InvalidArgument, "INVALID_REQUEST",
            () => Client(TenantA).RegisterOfficialAsync(request).ResponseAsync);

        Assert.Contains(violations, v => v.Field == "official.official_id");
        Assert.Contains(violations, v => v.Field == "official.name");
    }

    [Fact]
    public async Task RegisterOfficial_WeChatOnly_Accepted()
    {
        var official = (await Client(TenantA).RegisterOfficialAsync(Register(phone: "", openId: "oWeChatOnly"))).Official;

        Assert.Equal("", official.Phone);
        Assert.Equal("oWeChatOnly", official.WechatOpenid);
    }

    [Fact]
    public async Task ListOfficials_ByDivisionAndPaged_KeysetOnIdWithMaskedPhones()
    {
        var client = Client(TenantA);
        foreach (var id in new[] { "c", "a", "e", "b", "d" })
            await client.RegisterOfficialAsync(Register(officialId: id, phone: "1390000000" + id.Length));
        await client.RegisterOfficialAsync(Register(officialId: "leader", role: OfficialRole.TownshipLeader, division: Township));

        var ids = new List<string>();
        var request = new ListOfficialsRequest { DivisionCode = Village, PageSize = 2 };
        do
        {
            var page = await client.ListOfficialsAsync(request);
            Assert.All(page.Officials, o => Assert.Equal("139****0001", o.Phone));
            ids.AddRange(page.Officials.Select(o => o.OfficialId));
            request.PageToken = page.NextPageToken;
        } while (request.PageToken.Length > 0);

        Assert.Equal(["a", "b", "c", "d", "e"], ids);
        var leaders = await client.ListOfficialsAsync(new ListOfficialsRequest { DivisionCode = Township });
        Assert.Equal("leader", Assert.Single(leaders.Officials).OfficialId);
    }

    [Fact]
    public async Task ListOfficials_TokenWithOtherDivision_RefusedInvalidPageToken()
    {
        var client = Client(TenantA);
        await client.RegisterOfficialAsync(Register(officialId: "a"));
        await client.RegisterOfficialAsync(Register(officialId: "b"));
        var first = await client.ListOfficialsAsync(new ListOfficialsRequest { DivisionCode = Village, PageSize = 1 });

        await RefusedAsync(StatusCode.InvalidArgument, "INVALID_PAGE_TOKEN", () => client.ListOfficialsAsync(
            new ListOfficialsRequest { PageSize = 1, PageToken = first.NextPageToken }).ResponseAsync);
    }

    [Fact]
    public async Task ListOfficials_OtherTenant_SeesNoneOfTenantAsOfficials()
    {
        await Client(TenantA).RegisterOfficialAsync(Register());

        Assert.Empty((await Client(TenantB).ListOfficialsAsync(new ListOfficialsRequest())).Officials);
        Assert.Single((await Client(TenantA).ListOfficialsAsync(new ListOfficialsRequest())).Officials);
    }

    [Fact]
    public async Task DemoCity_EveryVillageHasAHeadAndEveryTownshipALeader()
    {
        // Every demo village and township of identity-registry, against the officials notification holds for them.
        await using var cmd = Db.Owner.CreateCommand("""
            SELECT d.tenant_id, d.code, d.level FROM identity_registry.divisions d
            WHERE d.level IN ('village', 'township')
              AND NOT EXISTS (SELECT 1 FROM notification.officials o
                              WHERE o.tenant_id = d.tenant_id AND o.division_code = d.code AND o.active
                                AND o.role = CASE d.level WHEN 'village' THEN 'VILLAGE_HEAD' ELSE 'TOWNSHIP_LEADER' END
                                AND o.phone ~ '^1380000[0-9]{4}$')
            """);
        var missing = new List<string>();
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) missing.Add($"{reader.GetString(0)} {reader.GetString(1)} {reader.GetString(2)}");
        await using var count = Db.Owner.CreateCommand(
            "SELECT count(*) FROM identity_registry.divisions WHERE level = 'village' AND tenant_id = 'cq-linjiang'");

        Assert.Empty(missing);
        // Seed 002 §6: Linjiang has 11 villages and communities, so 11 heads.
        Assert.Equal(11L, await count.ExecuteScalarAsync());
        var heads = await Client("cq-linjiang").ListOfficialsAsync(new ListOfficialsRequest { PageSize = 100 });
        Assert.Equal(11, heads.Officials.Count(o => o.Role == OfficialRole.VillageHead));
    }
}
