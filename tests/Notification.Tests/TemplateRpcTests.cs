using Grpc.Core;
using Medins.Notification.V1;

namespace Medins.Notification.Tests;

public sealed class TemplateRpcTests : NotificationRpcHost
{
    private const string ReminderBody = "{name}您好：{coverage_year}年度城乡居民医保缴费截至{deadline}。";

    private static PublishTemplateRequest Publish(string key = "reminder", MessageChannel channel = MessageChannel.Sms,
        string body = ReminderBody, string? requestId = null) => new()
    {
        RequestId = requestId ?? Guid.NewGuid().ToString(),
        TemplateKey = key,
        Channel = channel,
        Body = body,
    };

    [Fact]
    public async Task PublishTemplate_ValidRequest_ReturnsVersionOneWithCallerAndTime()
    {
        var request = Publish();
        request.ProviderTemplateId = "SMS_000001";
        request.ProviderParams.AddRange(["1", "2", "3"]);
        request.PlaceholderNames.AddRange(["name", "coverage_year", "deadline"]);

        var template = (await Client(TenantA, client: "county-admin").PublishTemplateAsync(request)).Template;

        Assert.Equal("reminder", template.TemplateKey);
        Assert.Equal(MessageChannel.Sms, template.Channel);
        Assert.Equal(1, template.Version);
        Assert.Equal(ReminderBody, template.Body);
        Assert.Equal("SMS_000001", template.ProviderTemplateId);
        Assert.Equal(["1", "2", "3"], template.ProviderParams);
        Assert.Equal(["name", "coverage_year", "deadline"], template.PlaceholderNames);
        Assert.Equal("county-admin", template.CreatedBy);
        Assert.Equal(Now, template.CreateTime.ToDateTimeOffset());
    }

    [Fact]
    public async Task PublishTemplate_AgainPerChannel_VersionsIncrementPerChannel()
    {
        var client = Client(TenantA);

        var sms1 = (await client.PublishTemplateAsync(Publish())).Template.Version;
        var sms2 = (await client.PublishTemplateAsync(Publish(body: "{name}您好，请及时缴费。"))).Template.Version;
        var wechat1 = (await client.PublishTemplateAsync(Publish(channel: MessageChannel.Wechat))).Template.Version;
        var sms3 = (await client.PublishTemplateAsync(Publish())).Template.Version;

        Assert.Equal([1, 2, 1, 3], new[] { sms1, sms2, wechat1, sms3 });
    }

    [Fact]
    public async Task PublishTemplate_ConcurrentPublishes_EachGetsItsOwnVersion()
    {
        var client = Client(TenantA);

        var versions = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            (await client.PublishTemplateAsync(Publish())).Template.Version));

        Assert.Equal(Enumerable.Range(1, 8), versions.Order());
    }

    [Fact]
    public async Task PublishTemplate_Replay_ReturnsFirstAnswerAndStoresOnce()
    {
        var client = Client(TenantA);
        var request = Publish();
        var first = (await client.PublishTemplateAsync(request)).Template;
        Time.Advance(TimeSpan.FromMinutes(5));

        var replay = (await client.PublishTemplateAsync(request)).Template;

        Assert.Equal(first, replay);
        var all = await client.ListTemplatesAsync(new ListTemplatesRequest { IncludeHistory = true });
        Assert.Single(all.Templates);
    }

    [Fact]
    public async Task PublishTemplate_ReplayWithOtherBody_RefusedAsReused()
    {
        var client = Client(TenantA);
        var request = Publish();
        await client.PublishTemplateAsync(request);
        var other = request.Clone();
        other.Body = "{name}您好。";

        await RefusedAsync(StatusCode.FailedPrecondition, "REQUEST_ID_REUSED", () => client.PublishTemplateAsync(other).ResponseAsync);
    }

    [Fact]
    public async Task PublishTemplate_UnknownKey_RefusedUnknownTemplateKey()
    {
        var violations = await RefusedAsync(StatusCode.InvalidArgument, "UNKNOWN_TEMPLATE_KEY",
            () => Client(TenantA).PublishTemplateAsync(Publish(key: "birthday-greeting")).ResponseAsync);

        Assert.Contains(violations, v => v.Field == "template_key");
    }

    [Fact]
    public async Task PublishTemplate_ReminderWording_AcceptedWithReminderPlaceholders()
    {
        var template = (await Client(TenantA).PublishTemplateAsync(Publish(key: "reminder-migrant-workers"))).Template;

        Assert.Equal("reminder-migrant-workers", template.TemplateKey);
    }

    [Fact]
    public async Task PublishTemplate_PlaceholderTheKeyDoesNotOffer_RefusedNamingIt()
    {
        // receipt_number belongs to payment receipts, not reminders.
        var violations = await RefusedAsync(StatusCode.InvalidArgument, "UNKNOWN_PLACEHOLDER",
            () => Client(TenantA).PublishTemplateAsync(Publish(body: "{name}您好，票据号{receipt_number}，{amount}元。")).ResponseAsync);

        var body = Assert.Single(violations, v => v.Field == "body");
        Assert.Contains("{receipt_number}", body.Description);
        Assert.Contains("{amount}", body.Description);
        Assert.DoesNotContain("{name}", body.Description);
    }

    [Fact]
    public async Task PublishTemplate_PlaceholderNameTheKeyDoesNotOffer_Refused()
    {
        var request = Publish();
        request.ProviderParams.AddRange(["1", "2"]);
        request.PlaceholderNames.AddRange(["name", "village_name"]);

        var violations = await RefusedAsync(StatusCode.InvalidArgument, "UNKNOWN_PLACEHOLDER",
            () => Client(TenantA).PublishTemplateAsync(request).ResponseAsync);

        Assert.Contains(violations, v => v.Field == "placeholder_names" && v.Description.Contains("village_name"));
    }

    [Fact]
    public async Task PublishTemplate_BodyWithIdNumber_RefusedIdNumberInTemplate()
    {
        var violations = await RefusedAsync(StatusCode.InvalidArgument, "ID_NUMBER_IN_TEMPLATE",
            () => Client(TenantA).PublishTemplateAsync(Publish(body: "{name}您好：身份证11010519491231002X已登记。")).ResponseAsync);

        Assert.Contains(violations, v => v.Field == "body");
    }

    [Theory]
    [InlineData("channel")]
    [InlineData("body")]
    [InlineData("long_body")]
    [InlineData("request_id")]
    [InlineData("provider_params")]
    public async Task PublishTemplate_InvalidField_RefusedNamingTheField(string field)
    {
        var request = Publish();
        string expectedField = field;
        switch (field)
        {
            case "channel": request.Channel = MessageChannel.Unspecified; break;
            case "body": request.Body = ""; break;
            case "long_body": request.Body = "{name}" + new string('请', 495); expectedField = "body"; break;
            case "request_id": request.RequestId = ""; break;
            case "provider_params": request.ProviderParams.Add("1"); break;
        }

        var violations = await RefusedAsync(StatusCode.InvalidArgument, "INVALID_REQUEST",
            () => Client(TenantA).PublishTemplateAsync(request).ResponseAsync);

        Assert.Contains(violations, v => v.Field == expectedField);
    }

    [Fact]
    public async Task PublishTemplate_BodyOfExactlyFiveHundredCharacters_Accepted()
    {
        var template = (await Client(TenantA).PublishTemplateAsync(Publish(body: "{name}" + new string('请', 494)))).Template;

        Assert.Equal(500, template.Body.Length);
    }

    [Fact]
    public async Task ListTemplates_WithAndWithoutHistory_CurrentVersionsOrEvery()
    {
        var client = Client(TenantA);
        await client.PublishTemplateAsync(Publish());
        await client.PublishTemplateAsync(Publish(body: "{name}您好，第二版。"));
        await client.PublishTemplateAsync(Publish(channel: MessageChannel.Wechat));
        await client.PublishTemplateAsync(Publish(key: "refund-notice", body: "您已退费{amount_yuan}元。"));

        var current = (await client.ListTemplatesAsync(new ListTemplatesRequest())).Templates;
        var history = (await client.ListTemplatesAsync(new ListTemplatesRequest { IncludeHistory = true })).Templates;
        var reminders = (await client.ListTemplatesAsync(new ListTemplatesRequest { TemplateKey = "reminder" })).Templates;

        Assert.Equal(["refund-notice SMS v1", "reminder SMS v2", "reminder WECHAT v1"], current.Select(Describe));
        Assert.Equal("{name}您好，第二版。", current.Single(t => t.TemplateKey == "reminder" && t.Channel == MessageChannel.Sms).Body);
        Assert.Equal(["refund-notice SMS v1", "reminder SMS v1", "reminder SMS v2", "reminder WECHAT v1"], history.Select(Describe));
        Assert.Equal(["reminder SMS v2", "reminder WECHAT v1"], reminders.Select(Describe));
    }

    [Fact]
    public async Task ListTemplates_PagedByTwo_EveryVersionOnceThenNoToken()
    {
        var client = Client(TenantA);
        for (var i = 0; i < 3; i++) await client.PublishTemplateAsync(Publish());
        for (var i = 0; i < 2; i++) await client.PublishTemplateAsync(Publish(channel: MessageChannel.Letter));

        var seen = new List<string>();
        var request = new ListTemplatesRequest { IncludeHistory = true, PageSize = 2 };
        var pages = 0;
        do
        {
            var page = await client.ListTemplatesAsync(request);
            seen.AddRange(page.Templates.Select(Describe));
            request.PageToken = page.NextPageToken;
            pages++;
        } while (request.PageToken.Length > 0);

        Assert.Equal(3, pages);
        Assert.Equal(["reminder LETTER v1", "reminder LETTER v2", "reminder SMS v1", "reminder SMS v2", "reminder SMS v3"], seen);
    }

    [Fact]
    public async Task ListTemplates_TokenWithOtherFilter_RefusedInvalidPageToken()
    {
        var client = Client(TenantA);
        for (var i = 0; i < 2; i++) await client.PublishTemplateAsync(Publish());
        var first = await client.ListTemplatesAsync(new ListTemplatesRequest { IncludeHistory = true, PageSize = 1 });

        var violations = await RefusedAsync(StatusCode.InvalidArgument, "INVALID_PAGE_TOKEN", () => client.ListTemplatesAsync(
            new ListTemplatesRequest { IncludeHistory = false, PageSize = 1, PageToken = first.NextPageToken }).ResponseAsync);
        await RefusedAsync(StatusCode.InvalidArgument, "INVALID_PAGE_TOKEN", () => client.ListTemplatesAsync(
            new ListTemplatesRequest { PageToken = "not-a-token" }).ResponseAsync);

        Assert.Contains(violations, v => v.Field == "page_token");
    }

    [Fact]
    public async Task ListTemplates_OtherTenant_SeesNoneOfTenantAsTemplates()
    {
        await Client(TenantA).PublishTemplateAsync(Publish());

        var seenByB = await Client(TenantB).ListTemplatesAsync(new ListTemplatesRequest { IncludeHistory = true });

        Assert.Empty(seenByB.Templates);
    }

    [Fact]
    public async Task PublishTemplate_SameRequestIdInAnotherTenant_IsItsOwnRequest()
    {
        var request = Publish();
        await Client(TenantA).PublishTemplateAsync(request);

        var inB = (await Client(TenantB).PublishTemplateAsync(request)).Template;

        Assert.Equal(1, inB.Version);
        Assert.Single((await Client(TenantB).ListTemplatesAsync(new ListTemplatesRequest())).Templates);
    }

    [Theory]
    [InlineData("cq-lidu")]
    [InlineData("cq-linjiang")]
    [InlineData("sc-meishan-dongpo")]
    [InlineData("sc-meishan-pengshan")]
    [InlineData("sc-meishan-renshou")]
    [InlineData("sc-meishan-hongya")]
    [InlineData("sc-meishan-danling")]
    [InlineData("sc-meishan-qingshen")]
    [InlineData("he-gaoyang")]
    public async Task DemoCity_EveryTenant_HasAnSmsTemplateForEveryKeyUsingOnlyOfferedPlaceholders(string tenant)
    {
        var templates = (await Client(tenant).ListTemplatesAsync(new ListTemplatesRequest())).Templates;

        var sms = templates.Where(t => t.Channel == MessageChannel.Sms).ToList();
        Assert.Equal(Domain.TemplateKeys.Placeholders.Keys.Order(StringComparer.Ordinal), sms.Select(t => t.TemplateKey));
        foreach (var template in templates)
        {
            var offered = Domain.TemplateKeys.PlaceholdersOf(template.TemplateKey)!;
            Assert.All(Domain.MessageTemplate.PlaceholdersIn(template.Body), name => Assert.Contains(name, offered));
            Assert.Equal(template.ProviderParams.Count, template.PlaceholderNames.Count);
            Assert.All(template.PlaceholderNames, name => Assert.Contains(name, offered));
        }
        // SMS parameters are positional, in the order the body uses its placeholders.
        Assert.All(sms, t => Assert.Equal(Domain.MessageTemplate.PlaceholdersIn(t.Body), t.PlaceholderNames));
        Assert.All(sms, t => Assert.Equal(Enumerable.Range(1, t.ProviderParams.Count).Select(i => i.ToString()), t.ProviderParams));
        Assert.Equal(["payment-receipt", "reminder"], templates.Where(t => t.Channel == MessageChannel.Wechat).Select(t => t.TemplateKey));
    }

    [Fact]
    public async Task DemoCity_EveryTenant_QuietHoursStatedAsThePlatformDefault()
    {
        await using var cmd = Db.Owner.CreateCommand("""
            SELECT count(*) FROM notification.tenant_settings
            WHERE quiet_start = '21:00' AND quiet_end = '08:00' AND quiet_channels = '{SMS,WECHAT}'
            """);

        Assert.Equal(9L, await cmd.ExecuteScalarAsync());
    }

    private static string Describe(Template t) => $"{t.TemplateKey} {ToStored(t.Channel)} v{t.Version}";

    private static string ToStored(MessageChannel channel) => channel switch
    {
        MessageChannel.Sms => "SMS",
        MessageChannel.Wechat => "WECHAT",
        MessageChannel.Letter => "LETTER",
        _ => "?",
    };
}
