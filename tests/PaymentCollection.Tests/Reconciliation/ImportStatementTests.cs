using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.PaymentCollection.Reconciliation.Statements;
using Medins.Platform.Hosting;
using static Medins.PaymentCollection.Tests.Reconciliation.ReconciliationHarness;
using StatementFormat = Medins.Payment.V1.StatementFormat;

namespace Medins.PaymentCollection.Tests.Reconciliation;

public sealed class ImportStatementTests : IAsyncLifetime
{
    private ReconciliationHarness _h = null!;

    public async Task InitializeAsync() => _h = await ReconciliationHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task ImportStatement_DayWithEveryCase_ReportsExactlyThose()
    {
        var day = await _h.ArrangeWeChatDayAsync();
        // Seed 000 (Lidu) §2: the default tier's personal standard is 380 yuan.
        Assert.Equal(38000, day.Matched.PersonalAmountFen);
        var content = WeChatTradeBill.Write(day.Entries);

        var summary = (await _h.ImportAsync(PaymentChannel.WechatPay, Day, content)).Summary;

        Assert.Equal(new StatementSummary
        {
            StatementId = summary.StatementId,
            Channel = PaymentChannel.WechatPay,
            StatementDate = new Google.Type.Date { Year = 2023, Month = 11, Day = 20 },
            Format = StatementFormat.WechatTradeBill,
            ContentSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)),
            ImportTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(At(Day.AddDays(1), 10)),
            ImportedBy = Clerk,
            Payments = new Tally { Count = 4, AmountFen = 38000 + 35000 + 38000 + 3800 },
            Matched = new Tally { Count = 1, AmountFen = 38000 },
            MissingHere = new Tally { Count = 1, AmountFen = 38000 },
            MissingThere = new Tally { Count = 1, AmountFen = 38000 },
            AmountDifferences = new Tally { Count = 1, AmountFen = 35000 },
            AmountDifferenceFen = -3000,
            HeldForReview = new Tally { Count = 1, AmountFen = 3800 },
            RefundsAndReversals = new Tally { Count = 1, AmountFen = 38000 },
        }, summary);

        var found = await _h.DiscrepanciesAsync(summary.StatementId);
        Assert.Equal(3, found.Count);
        Assert.All(found, d => Assert.Equal(DiscrepancyState.Open, d.State));
        var missingHere = Assert.Single(found, d => d.Kind == DiscrepancyKind.MissingHere);
        Assert.Equal(("wx-unknown", 4, "unknown-order", 38000L, 0L), (missingHere.ChannelTransactionId, missingHere.LineNumber,
            missingHere.MerchantOrderId, missingHere.ChannelAmountFen, missingHere.PlatformAmountFen));
        Assert.Empty(missingHere.OrderIds);
        var differs = Assert.Single(found, d => d.Kind == DiscrepancyKind.AmountDifference);
        Assert.Equal(("wx-differs", 3, 35000L, 38000L), (differs.ChannelTransactionId, differs.LineNumber, differs.ChannelAmountFen,
            differs.PlatformAmountFen));
        Assert.Equal([day.Differs.OrderId], differs.OrderIds);
        var missingThere = Assert.Single(found, d => d.Kind == DiscrepancyKind.MissingThere);
        Assert.Equal(("wx-unlisted", 0, 0L, 38000L), (missingThere.ChannelTransactionId, missingThere.LineNumber,
            missingThere.ChannelAmountFen, missingThere.PlatformAmountFen));
        Assert.Equal([day.Unlisted.OrderId], missingThere.OrderIds);
        Assert.Equal(day.Unlisted.PaidTime, missingThere.PlatformPaidTime);
        Assert.Equal(1L, await _h.CountAsync("reconciliation_statement_lines",
            "outcome = 'held_for_review' AND channel_transaction_id = 'wx-held' AND review_id IS NOT NULL"));
        Assert.Equal(5L, await _h.CountAsync("reconciliation_statement_lines"));
    }

    [Fact]
    public async Task ImportStatement_SameRequestOrSameFileAgain_FirstAnswerAndNothingStoredTwice()
    {
        var day = await _h.ArrangeWeChatDayAsync();
        var content = WeChatTradeBill.Write(day.Entries);
        var first = await _h.ImportAsync(PaymentChannel.WechatPay, Day, content, requestId: "import-1");
        _h.Platform.Clock.Advance(TimeSpan.FromHours(1));

        var sameRequest = await _h.ImportAsync(PaymentChannel.WechatPay, Day, content, requestId: "import-1");
        var sameFile = await _h.ImportAsync(PaymentChannel.WechatPay, Day, content, requestId: "import-2");

        Assert.Equal(first, sameRequest);
        Assert.Equal(first, sameFile);
        Assert.Equal(1L, await _h.CountAsync("reconciliation_statements"));
        Assert.Equal(5L, await _h.CountAsync("reconciliation_statement_lines"));
        Assert.Equal(3L, await _h.CountAsync("reconciliation_discrepancies"));
    }

    [Fact]
    public async Task ImportStatement_OtherFileForTheSameDay_RefusedUnlessItReplacesTheCurrentImport()
    {
        var day = await _h.ArrangeWeChatDayAsync();
        var first = (await _h.ImportAsync(PaymentChannel.WechatPay, Day, WeChatTradeBill.Write(day.Entries))).Summary;
        // The channel's corrected bill: the unknown payment was another merchant's, and it lists the omitted one.
        StatementEntry[] corrected =
        [
            day.Entries[0], day.Entries[1], day.Entries[3], day.Entries[4],
            new(StatementLineKind.Payment, "wx-unlisted", 38000, At(Day, 9, 4)),
        ];
        var correctedFile = WeChatTradeBill.Write(corrected);

        var refused = await Assert.ThrowsAsync<RpcException>(() => _h.ImportAsync(PaymentChannel.WechatPay, Day, correctedFile));
        var wrongTarget = await Assert.ThrowsAsync<RpcException>(() =>
            _h.ImportAsync(PaymentChannel.WechatPay, Day, correctedFile, replaces: Guid.NewGuid().ToString()));
        var replaced = (await _h.ImportAsync(PaymentChannel.WechatPay, Day, correctedFile, replaces: first.StatementId)).Summary;

        Assert.Equal(StatusCode.AlreadyExists, refused.StatusCode);
        Assert.Equal("STATEMENT_ALREADY_IMPORTED", RpcErrors.ReasonOf(refused));
        Assert.Equal(first.StatementId, refused.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["statement_id"]);
        Assert.Equal(StatusCode.FailedPrecondition, wrongTarget.StatusCode);
        Assert.Equal("STATEMENT_NOT_CURRENT", RpcErrors.ReasonOf(wrongTarget));
        Assert.NotEqual(first.StatementId, replaced.StatementId);
        Assert.Equal(first.StatementId, replaced.ReplacesStatementId);
        Assert.Equal((2, 0, 0, 1), (replaced.Matched.Count, replaced.MissingHere.Count, replaced.MissingThere.Count,
            replaced.AmountDifferences.Count));
        Assert.All(await _h.DiscrepanciesAsync(first.StatementId), d => Assert.Equal(DiscrepancyState.Superseded, d.State));
        var open = Assert.Single(await _h.DiscrepanciesAsync(state: DiscrepancyState.Open));
        Assert.Equal((replaced.StatementId, "wx-differs"), (open.StatementId, open.ChannelTransactionId));
    }

    [Fact]
    public async Task ImportStatement_ReplacingAnImportWithAResolution_Refused()
    {
        var day = await _h.ArrangeWeChatDayAsync();
        var first = (await _h.ImportAsync(PaymentChannel.WechatPay, Day, WeChatTradeBill.Write(day.Entries))).Summary;
        var unknown = Assert.Single(await _h.DiscrepanciesAsync(first.StatementId), d => d.Kind == DiscrepancyKind.MissingHere);
        await _h.ResolveAsync(unknown.DiscrepancyId, ResolutionAction.RefundToPayer, "查无此人，原路退回");

        var refused = await Assert.ThrowsAsync<RpcException>(() => _h.ImportAsync(PaymentChannel.WechatPay, Day,
            WeChatTradeBill.Write(day.Entries[..2]), replaces: first.StatementId));

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal("STATEMENT_HAS_RESOLUTIONS", RpcErrors.ReasonOf(refused));
        Assert.Equal(1L, await _h.CountAsync("reconciliation_statements"));
        Assert.Equal(2L, await _h.CountAsync("reconciliation_discrepancies", "state = 'open'"));
    }

    [Fact]
    public async Task ImportStatement_MalformedLine_InvalidArgumentNamingTheLineAndNothingStored()
    {
        var day = await _h.ArrangeWeChatDayAsync();
        var bill = System.Text.Encoding.UTF8.GetString(WeChatTradeBill.Write(day.Entries)).Replace("`350.00", "`350.0O");

        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            _h.ImportAsync(PaymentChannel.WechatPay, Day, System.Text.Encoding.UTF8.GetBytes(bill), requestId: "bad-file"));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal("MALFORMED_STATEMENT", RpcErrors.ReasonOf(refused));
        var status = refused.GetRpcStatus()!;
        Assert.Equal("3", status.GetDetail<ErrorInfo>().Metadata["line_number"]);
        Assert.DoesNotContain("WeChatTradeBill", refused.Status.Detail);
        Assert.Contains("微信支付对账单（第 3 行有误）", status.GetDetail<LocalizedMessage>().Message);
        var violation = Assert.Single(status.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal("content", violation.Field);
        Assert.StartsWith("line 3: 订单金额 '350.0O'", violation.Description);
        Assert.Equal(0L, await _h.CountAsync("reconciliation_statements"));
        Assert.Equal(0L, await _h.CountAsync("reconciliation_statement_lines"));
        Assert.Equal(0L, await _h.CountAsync("request_log", "rpc = 'ImportStatement'"));
    }

    [Fact]
    public async Task ImportStatement_DayNotOverYet_FailedPrecondition()
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            _h.ImportAsync(PaymentChannel.WechatPay, Day, WeChatTradeBill.Write([])));

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal("STATEMENT_DAY_NOT_OVER", RpcErrors.ReasonOf(refused));
    }

    [Fact]
    public async Task ImportStatement_AlipayGbkStatement_MatchedByAlipayTransaction()
    {
        var paid = await _h.PaidOrderAsync(PaymentChannel.Alipay, "2023112022001404561400012345");
        await _h.PaidOrderAsync(PaymentChannel.WechatPay, "wx-1");
        _h.MoveClockTo(Day.AddDays(1), 9, 30);
        var content = AlipayTradeStatement.Write(Day,
        [
            new(StatementLineKind.Payment, "2023112022001404561400012345", paid.PersonalAmountFen, At(Day, 9, 0)) { MerchantOrderId = paid.OrderId },
        ]);

        var summary = (await _h.ImportAsync(PaymentChannel.Alipay, Day, content)).Summary;

        Assert.Equal(StatementFormat.AlipayTradeStatement, summary.Format);
        Assert.Equal(new Tally { Count = 1, AmountFen = 38000 }, summary.Matched);
        Assert.Equal((0, 0, 0, 0), (summary.MissingHere.Count, summary.MissingThere.Count, summary.AmountDifferences.Count,
            summary.HeldForReview.Count));
    }

    [Fact]
    public async Task ImportStatement_VillagePosCollectionStatement_MissingThereForTheTerminalsUnlistedPayment()
    {
        var listed = await _h.PaidOrderAsync(PaymentChannel.VillagePos, "POS-0001");
        var unlisted = await _h.PaidOrderAsync(PaymentChannel.VillagePos, "POS-0002");
        _h.MoveClockTo(Day.AddDays(1), 9);
        var content = BureauCollectionStatement.Write("village_pos", Day,
            [new(StatementLineKind.Payment, "POS-0001", listed.PersonalAmountFen, At(Day, 9, 5)) { MerchantOrderId = listed.OrderId }]);

        var summary = (await _h.ImportAsync(PaymentChannel.VillagePos, Day, content)).Summary;

        Assert.Equal(StatementFormat.BureauCollectionStatement, summary.Format);
        Assert.Equal(1, summary.Matched.Count);
        Assert.Equal(new Tally { Count = 1, AmountFen = unlisted.PersonalAmountFen }, summary.MissingThere);
    }

    [Fact]
    public async Task ImportStatement_AnotherChannelsFile_InvalidArgumentNamingItsChannelLine()
    {
        _h.MoveClockTo(Day.AddDays(1), 9);

        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            _h.ImportAsync(PaymentChannel.School, Day, BureauCollectionStatement.Write("village_cash", Day, [])));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal("2", refused.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["line_number"]);
    }

    [Fact]
    public async Task ImportStatement_MissingFields_InvalidArgumentListingThem()
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => _h.Client().ImportStatementAsync(new ImportStatementRequest
        {
            StatementDate = new Google.Type.Date { Year = 2023, Month = 2, Day = 30 },
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal(["request_id", "channel", "statement_date", "content"],
            refused.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field));
    }

    [Fact]
    public async Task ImportStatement_OtherTenant_SeesNoneOfIt()
    {
        var day = await _h.ArrangeWeChatDayAsync();
        var summary = (await _h.ImportAsync(PaymentChannel.WechatPay, Day, WeChatTradeBill.Write(day.Entries))).Summary;

        var lidus = (await _h.DiscrepanciesAsync(summary.StatementId))[0];

        var linjiang = await _h.DiscrepanciesAsync(tenant: Linjiang);
        var refused = await Assert.ThrowsAsync<RpcException>(() => _h.Client(Linjiang).ResolveDiscrepancyAsync(new ResolveDiscrepancyRequest
        {
            RequestId = "r-1",
            DiscrepancyId = lidus.DiscrepancyId,
            Action = ResolutionAction.MatchedManually,
            Note = "x",
        }).ResponseAsync);

        Assert.Empty(linjiang);
        Assert.Equal(StatusCode.NotFound, refused.StatusCode);
        Assert.Equal("DISCREPANCY_NOT_FOUND", RpcErrors.ReasonOf(refused));
    }
}
