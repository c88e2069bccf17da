using Google.Rpc;
using Grpc.Core;
using Medins.Platform.Hosting.Grpc;

namespace Medins.Platform.Hosting.Tests.Errors;

public sealed class ClerkTextTests
{
    [Theory]
    [InlineData(38000L, "380.00 元")]
    [InlineData(37000L, "370.00 元")]
    [InlineData(0L, "0.00 元")]
    [InlineData(5L, "0.05 元")]
    [InlineData(99L, "0.99 元")]
    [InlineData(-1250L, "-12.50 元")]
    [InlineData(-5L, "-0.05 元")]
    [InlineData(123456789L, "1234567.89 元")]
    [InlineData(long.MinValue, "-92233720368547758.08 元")]
    public void Yuan_Fen_TwoDecimalsAndUnit(long fen, string expected) => Assert.Equal(expected, ClerkText.Yuan(fen));

    [Fact]
    public void BeijingTime_UtcAt0102_ShowsBeijing0902()
    {
        var instant = new DateTimeOffset(2026, 12, 4, 1, 2, 22, TimeSpan.Zero);

        Assert.Equal("2026-12-04 09:02（北京时间）", ClerkText.BeijingTime(instant));
        Assert.Equal("2026-12-04 09:02 Beijing time", ClerkText.BeijingTimeEnglish(instant));
    }

    [Fact]
    public void BeijingTime_LateUtcEvening_NextCalendarDayInBeijing()
    {
        var instant = new DateTimeOffset(2026, 12, 31, 16, 30, 0, TimeSpan.Zero);

        Assert.Equal("2027-01-01 00:30（北京时间）", ClerkText.BeijingTime(instant));
        Assert.Equal("2027-01-01", ClerkText.Date(instant));
    }

    [Fact]
    public void BeijingTime_OtherOffset_SameInstantSameText()
    {
        var utc = new DateTimeOffset(2026, 12, 4, 1, 2, 0, TimeSpan.Zero);

        Assert.Equal(ClerkText.BeijingTime(utc), ClerkText.BeijingTime(utc.ToOffset(TimeSpan.FromHours(-5))));
    }

    [Fact]
    public void Date_CalendarDate_IsoForm() => Assert.Equal("2026-03-09", ClerkText.Date(new DateOnly(2026, 3, 9)));
}

public sealed class RpcErrorsClerkTextTests
{
    private static readonly string Domain = RpcErrors.DomainOf("payment-collection");

    [Fact]
    public void ToRpcException_RuleViolation_ReasonFactsFieldsAndServiceDomain()
    {
        var violation = new RuleViolation("ALREADY_PAID", RefusalStatus.FailedPrecondition, "paid",
            new Dictionary<string, string> { ["order_id"] = "o-1" }, fields: [new FieldProblem("order_id", "is paid")]);

        var ex = RpcErrors.ToRpcException(violation, Domain);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        var info = ex.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal(("ALREADY_PAID", "payment-collection.medins", "o-1"), (info.Reason, info.Domain, info.Metadata["order_id"]));
        Assert.Equal("order_id", Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.Equal(ClerkMessages.ByReason["ALREADY_PAID"], RpcErrors.ClerkTextOf(ex));
    }

    [Fact]
    public void Build_NoExplicitText_CatalogTextInZhCn()
    {
        var ex = RpcErrors.ToRpcException(RpcErrors.NotFound("ORDER_NOT_FOUND", "No payment order x."), Domain);

        var localized = ex.GetRpcStatus()!.GetDetail<LocalizedMessage>();
        Assert.Equal("zh-CN", localized.Locale);
        Assert.Equal(ClerkMessages.ByReason["ORDER_NOT_FOUND"], localized.Message);
        Assert.Equal("ORDER_NOT_FOUND", RpcErrors.ReasonOf(ex));
    }

    [Fact]
    public void Build_ExplicitText_ReplacesCatalogText()
    {
        var ex = RpcErrors.ToRpcException(RpcErrors.InvalidArgument("INVALID_AMOUNT", "amount_fen must not be negative.", "金额不能为负数。",
            ("amount_fen", "must not be negative")), Domain);

        Assert.Equal("金额不能为负数。", RpcErrors.ClerkTextOf(ex));
        Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
    }

    [Fact]
    public void Build_ReasonNotInCatalog_TextByStatusCodeNeverEmpty()
    {
        var ex = RpcErrors.ToRpcException(RpcErrors.FailedPrecondition("SOME_POLICY_REASON", "refused"), Domain);

        Assert.Equal(ClerkMessages.For(null, Code.FailedPrecondition), RpcErrors.ClerkTextOf(ex));
        Assert.False(string.IsNullOrWhiteSpace(RpcErrors.ClerkTextOf(ex)));
    }

    [Fact]
    public void WithClerkText_BareRpcException_GainsCatalogTextKeepsStatus()
    {
        var bare = new RpcException(new global::Grpc.Core.Status(StatusCode.Unavailable, "down"));

        var localized = RpcErrors.WithClerkText(bare)!;

        Assert.Equal(StatusCode.Unavailable, localized.StatusCode);
        Assert.Equal("down", localized.Status.Detail);
        Assert.Equal(ClerkMessages.For(null, Code.Unavailable), RpcErrors.ClerkTextOf(localized));
    }

    [Fact]
    public void WithClerkText_DetailsWithoutLocalizedMessage_AddsOneKeepsReasonAndMetadata()
    {
        var status = new Google.Rpc.Status { Code = (int)Code.FailedPrecondition, Message = "paid" };
        status.Details.Add(Google.Protobuf.WellKnownTypes.Any.Pack(new ErrorInfo
        {
            Reason = "ALREADY_PAID", Domain = Domain, Metadata = { ["order_id"] = "o-1" },
        }));

        var localized = RpcErrors.WithClerkText(status.ToRpcException())!;

        Assert.Equal("ALREADY_PAID", RpcErrors.ReasonOf(localized));
        Assert.Equal("o-1", localized.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["order_id"]);
        Assert.Equal(ClerkMessages.ByReason["ALREADY_PAID"], RpcErrors.ClerkTextOf(localized));
    }

    [Fact]
    public void WithClerkText_AlreadyLocalized_Null() =>
        Assert.Null(RpcErrors.WithClerkText(RpcErrors.ToRpcException(RpcErrors.NotFound("ORDER_NOT_FOUND", "x", "自定义"), Domain)));

    [Fact]
    public void ThrowIfInvalid_Violations_ClerkTextNamesEveryFieldAsTheFormDoes()
    {
        var ex = Refusals.Throws(() => new RequestValidator()
            .Require("", "national_id")
            .Check(false, "amount_fen", "must not be negative")
            .Check(false, "membership.school", "is required")
            .ThrowIfInvalid());

        var text = RpcErrors.ClerkTextOf(ex)!;
        Assert.Equal("以下项目未填写或填写有误：身份证号码、金额、membership.school。请核对后重新提交。", text);
        // The API's names stay where an integrator looks for them.
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations, v => v.Field == "amount_fen");
    }

    [Theory]
    [InlineData("amount_fen", "金额")]
    [InlineData("target.coverage_year", "参保年度")]
    [InlineData("resident_ids[2]", "居民编号")]
    [InlineData("life_event.kind", "life_event.kind")]
    public void FieldLabel_Path_ChineseLabelOrThePath(string path, string expected) =>
        Assert.Equal(expected, ClerkMessages.FieldLabel(path));

    [Theory]
    [InlineData("INVALID_JSON_FIELD", "life_event.kind", "“life_event.kind”")]
    [InlineData("INVALID_JSON_FIELD", "coverage_year", "“参保年度”")]
    [InlineData("UNKNOWN_QUERY_PARAMETER", "coverageYaer", "“coverageYaer”")]
    public void JsonRequestCheck_ClerkText_NamesTheField(string reason, string field, string named) =>
        Assert.Contains(named, JsonRequestCheckMiddleware.ClerkText((reason, field, "whatever")));

    [Theory]
    [InlineData("""{"coverageYear":"abc"}""", "“参保年度”一项的填写格式不对：应填整数。")]
    [InlineData("""{"lifeEvent":{"kind":"LIFE_EVENT_KIND_BIRTHDAY"}}""", "“life_event.kind”一项的填写格式不对：应从可选项中选择。")]
    [InlineData("""{"identityCodes":"dibao"}""", "应为一组值")]
    public void JsonRequestCheck_WrongKindOfValue_ClerkTextSaysWhatTheFieldTakes(string json, string expected)
    {
        var problem = JsonRequestCheckMiddleware.Check(System.Text.Encoding.UTF8.GetBytes(json), Medins.Contribution.V1.QuoteContributionRequest.Descriptor);

        Assert.NotNull(problem);
        Assert.Contains(expected, JsonRequestCheckMiddleware.ClerkText(problem.Value));
    }
}
