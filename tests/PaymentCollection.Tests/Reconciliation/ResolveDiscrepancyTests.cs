using Google.Rpc;
using Grpc.Core;
using Medins.Payment.V1;
using Medins.PaymentCollection.Reconciliation.Statements;
using Medins.Platform.Hosting;
using static Medins.PaymentCollection.Tests.Reconciliation.ReconciliationHarness;

namespace Medins.PaymentCollection.Tests.Reconciliation;

public sealed class ResolveDiscrepancyTests : IAsyncLifetime
{
    private ReconciliationHarness _h = null!;
    private WeChatDay _day = null!;
    private StatementSummary _statement = null!;

    public async Task InitializeAsync()
    {
        _h = await ReconciliationHarness.StartAsync();
        _day = await _h.ArrangeWeChatDayAsync();
        _statement = (await _h.ImportAsync(PaymentChannel.WechatPay, Day, WeChatTradeBill.Write(_day.Entries))).Summary;
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private async Task<Discrepancy> FoundAsync(DiscrepancyKind kind) =>
        Assert.Single(await _h.DiscrepanciesAsync(_statement.StatementId), d => d.Kind == kind);

    [Fact]
    public async Task ResolveDiscrepancy_Open_ResolvedWithTheCallersCredentialTimeActionAndNote()
    {
        var unknown = await FoundAsync(DiscrepancyKind.MissingHere);
        _h.Platform.Clock.Advance(TimeSpan.FromMinutes(25));

        var resolved = (await _h.ResolveAsync(unknown.DiscrepancyId, ResolutionAction.RefundToPayer, "非本辖区参保人，原路退回",
            requestId: "resolve-1", client: "lidu-finance-clerk")).Discrepancy;

        var expected = new Resolution
        {
            Action = ResolutionAction.RefundToPayer,
            Note = "非本辖区参保人，原路退回",
            ResolvedBy = "lidu-finance-clerk",
            ResolveTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(At(Day.AddDays(1), 10, 25)),
            RequestId = "resolve-1",
        };
        Assert.Equal(DiscrepancyState.Resolved, resolved.State);
        Assert.Equal(expected, resolved.Resolution);
        Assert.Equal(resolved, Assert.Single(await _h.DiscrepanciesAsync(state: DiscrepancyState.Resolved)));
        Assert.Equal(1L, await _h.CountAsync("reconciliation_resolutions",
            "resolved_by = 'lidu-finance-clerk' AND action = 'refund_to_payer' AND note = '非本辖区参保人，原路退回' AND request_id = 'resolve-1'"));
        Assert.Equal(2, (await _h.DiscrepanciesAsync(state: DiscrepancyState.Open)).Count);
    }

    [Fact]
    public async Task ResolveDiscrepancy_SameRequestAgain_FirstAnswer_AnotherRequest_AlreadyResolved()
    {
        var unknown = await FoundAsync(DiscrepancyKind.MissingHere);
        var first = await _h.ResolveAsync(unknown.DiscrepancyId, ResolutionAction.ChannelErrorWrittenOff, "微信已更正账单",
            requestId: "resolve-1");
        _h.Platform.Clock.Advance(TimeSpan.FromMinutes(5));

        var replay = await _h.ResolveAsync(unknown.DiscrepancyId, ResolutionAction.ChannelErrorWrittenOff, "微信已更正账单",
            requestId: "resolve-1");
        var again = await Assert.ThrowsAsync<RpcException>(() =>
            _h.ResolveAsync(unknown.DiscrepancyId, ResolutionAction.MatchedManually, "另一人核对", requestId: "resolve-2", client: "someone-else"));
        var reused = await Assert.ThrowsAsync<RpcException>(() =>
            _h.ResolveAsync(unknown.DiscrepancyId, ResolutionAction.MatchedManually, "另一人核对", requestId: "resolve-1"));

        Assert.Equal(first, replay);
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Equal("ALREADY_RESOLVED", RpcErrors.ReasonOf(again));
        Assert.Equal(Clerk, again.GetRpcStatus()!.GetDetail<ErrorInfo>().Metadata["resolved_by"]);
        // Who, when in Beijing time and how, in words: no enum identifier, no UTC.
        Assert.DoesNotContain("ChannelErrorWrittenOff", again.Status.Detail);
        Assert.Contains("writing off a channel error", again.Status.Detail);
        Assert.Contains("（北京时间）", RpcErrors.ClerkTextOf(again));
        Assert.Contains("渠道差错核销", RpcErrors.ClerkTextOf(again));
        Assert.Equal("REQUEST_ID_REUSED", RpcErrors.ReasonOf(reused));
        Assert.Equal(1L, await _h.CountAsync("reconciliation_resolutions"));
    }

    [Theory]
    [InlineData(DiscrepancyKind.MissingThere, ResolutionAction.RefundToPayer)]
    [InlineData(DiscrepancyKind.AmountDifference, ResolutionAction.RefundToPayer)]
    [InlineData(DiscrepancyKind.AmountDifference, ResolutionAction.ConfirmLatePayment)]
    public async Task ResolveDiscrepancy_ActionThatDoesNotSettleIt_RefusedAndStillOpen(DiscrepancyKind kind, ResolutionAction action)
    {
        var discrepancy = await FoundAsync(kind);

        var refused = await Assert.ThrowsAsync<RpcException>(() => _h.ResolveAsync(discrepancy.DiscrepancyId, action));

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal("ACTION_NOT_ALLOWED", RpcErrors.ReasonOf(refused));
        Assert.Equal(DiscrepancyState.Open, (await FoundAsync(kind)).State);
        Assert.Equal(0L, await _h.CountAsync("reconciliation_resolutions"));
    }

    [Fact]
    public async Task ResolveDiscrepancy_ConfirmLatePaymentMissingHere_OnlyOnceThePlatformConfirmedIt()
    {
        var unknown = await FoundAsync(DiscrepancyKind.MissingHere);

        var early = await Assert.ThrowsAsync<RpcException>(() =>
            _h.ResolveAsync(unknown.DiscrepancyId, ResolutionAction.ConfirmLatePayment, requestId: "late-1"));
        // The channel's notice for that payment arrives late and the platform confirms it.
        await _h.ConfirmAsync(await _h.OrderAsync(PaymentChannel.WechatPay), "wx-unknown");
        var resolved = (await _h.ResolveAsync(unknown.DiscrepancyId, ResolutionAction.ConfirmLatePayment, requestId: "late-2")).Discrepancy;

        Assert.Equal("PAYMENT_NOT_CONFIRMED", RpcErrors.ReasonOf(early));
        Assert.Equal(ResolutionAction.ConfirmLatePayment, resolved.Resolution.Action);
    }

    [Fact]
    public async Task ResolveDiscrepancy_ConfirmLatePaymentMissingThere_OnlyOnceAnotherDaysStatementListsIt()
    {
        var unlisted = await FoundAsync(DiscrepancyKind.MissingThere);

        var early = await Assert.ThrowsAsync<RpcException>(() =>
            _h.ResolveAsync(unlisted.DiscrepancyId, ResolutionAction.ConfirmLatePayment, requestId: "late-1"));
        _h.MoveClockTo(Day.AddDays(2), 10);
        var nextDay = (await _h.ImportAsync(PaymentChannel.WechatPay, Day.AddDays(1), WeChatTradeBill.Write(
        [
            new(StatementLineKind.Payment, "wx-unlisted", 38000, At(Day.AddDays(1), 0, 0)),
            new(StatementLineKind.Payment, "wx-next-day", 38000, At(Day.AddDays(1), 8, 0)),
        ]))).Summary;
        var resolved = (await _h.ResolveAsync(unlisted.DiscrepancyId, ResolutionAction.ConfirmLatePayment, "次日账单列出",
            requestId: "late-2")).Discrepancy;

        Assert.Equal("NOT_LISTED_BY_CHANNEL", RpcErrors.ReasonOf(early));
        Assert.Equal(new Tally { Count = 2, AmountFen = 76000 }, nextDay.Matched);
        Assert.Equal(DiscrepancyState.Resolved, resolved.State);
    }

    [Fact]
    public async Task ResolveDiscrepancy_SupersededByACorrectedFile_Refused()
    {
        var unknown = await FoundAsync(DiscrepancyKind.MissingHere);
        await _h.ImportAsync(PaymentChannel.WechatPay, Day, WeChatTradeBill.Write(_day.Entries[..2]), replaces: _statement.StatementId);

        var refused = await Assert.ThrowsAsync<RpcException>(() => _h.ResolveAsync(unknown.DiscrepancyId, ResolutionAction.MatchedManually));

        Assert.Equal("DISCREPANCY_SUPERSEDED", RpcErrors.ReasonOf(refused));
    }

    [Fact]
    public async Task ResolveDiscrepancy_WithoutActionOrNote_InvalidArgument()
    {
        var unknown = await FoundAsync(DiscrepancyKind.MissingHere);

        var refused = await Assert.ThrowsAsync<RpcException>(() => _h.Client().ResolveDiscrepancyAsync(new ResolveDiscrepancyRequest
        {
            RequestId = "r-1",
            DiscrepancyId = unknown.DiscrepancyId,
            Note = "  ",
        }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal(["action", "note"], refused.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field));
    }

    [Fact]
    public async Task ListDiscrepancies_SmallPages_EveryDiscrepancyOnceAndTokensBoundToTheirFilters()
    {
        var client = _h.Client();
        var seen = new List<string>();
        var request = new ListDiscrepanciesRequest { Channel = PaymentChannel.WechatPay, PageSize = 2 };
        do
        {
            var page = await client.ListDiscrepanciesAsync(request);
            seen.AddRange(page.Discrepancies.Select(d => d.DiscrepancyId));
            request.PageToken = page.NextPageToken;
            if (page.NextPageToken.Length > 0)
            {
                var otherFilter = request.Clone();
                otherFilter.State = DiscrepancyState.Open;
                var refused = await Assert.ThrowsAsync<RpcException>(() => client.ListDiscrepanciesAsync(otherFilter).ResponseAsync);
                Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            }
        } while (request.PageToken.Length > 0);

        Assert.Equal(3, seen.Count);
        Assert.Equal(seen.Order(), seen);
        Assert.Equal(seen, (await _h.DiscrepanciesAsync(_statement.StatementId)).Select(d => d.DiscrepancyId));
        Assert.Empty((await client.ListDiscrepanciesAsync(new ListDiscrepanciesRequest { Channel = PaymentChannel.Alipay })).Discrepancies);
        Assert.Empty(await _h.DiscrepanciesAsync(state: DiscrepancyState.Resolved));
    }
}
