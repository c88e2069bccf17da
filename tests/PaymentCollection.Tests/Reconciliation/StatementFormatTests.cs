using System.Text;
using Medins.PaymentCollection.Reconciliation.Statements;
using Medins.Platform.Hosting;

namespace Medins.PaymentCollection.Tests.Reconciliation;

public class StatementFormatTests
{
    static StatementFormatTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);
    private static readonly DateOnly Day = new(2023, 11, 20);

    private static DateTimeOffset At(int hour, int minute, int second = 0) => new(2023, 11, 20, hour, minute, second, Beijing);

    private static readonly StatementEntry[] Entries =
    [
        new(StatementLineKind.Payment, "4200001987202311201234567890", 38000, At(9, 15, 2)) { MerchantOrderId = "0190a6c2d1e37b0e8f1a2b3c4d5e6f70" },
        new(StatementLineKind.Payment, "4200001987202311201234567891", 1, At(11, 40, 51)),
        new(StatementLineKind.Payment, "4200001987202311201234567892", 123456789012, At(23, 59, 59)) { MerchantOrderId = "a,b" },
        new(StatementLineKind.Refund, "4200001987202311201234567890", 38000, At(16, 2, 10))
        {
            MerchantOrderId = "0190a6c2d1e37b0e8f1a2b3c4d5e6f70",
            RefundId = "50300208012023112012345678901",
        },
    ];

    [Theory]
    [InlineData("0.01", 1)]
    [InlineData("0.10", 10)]
    [InlineData("0.1", 10)]
    [InlineData("380.00", 38000)]
    [InlineData("380", 38000)]
    [InlineData("725.5", 72550)]
    [InlineData("-35.80", -3580)]
    [InlineData("+1.00", 100)]
    [InlineData("0", 0)]
    [InlineData("9999999999999.99", 999999999999999)]
    public void Yuan_ExactText_ParsedToTheFen(string text, long fen)
    {
        Assert.True(StatementText.TryParseYuan(text, out var parsed));
        Assert.Equal(fen, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("0.001")]
    [InlineData("1e3")]
    [InlineData("1,000.00")]
    [InlineData("38O.00")]
    [InlineData(".50")]
    [InlineData("5.")]
    [InlineData("--1")]
    [InlineData(" 1.00")]
    [InlineData("10000000000000.00")]
    [InlineData("NaN")]
    public void Yuan_InexactOrForeignText_Refused(string text) => Assert.False(StatementText.TryParseYuan(text, out _));

    [Fact]
    public void Yuan_FormatThenParse_EveryAmountComesBackExactly()
    {
        var random = new Random(20231120);
        for (var i = 0; i < 10_000; i++)
        {
            var fen = random.NextInt64(-1_000_000_000_00, 1_000_000_000_00);
            Assert.True(StatementText.TryParseYuan(ClerkText.YuanNumber(fen), out var back));
            Assert.Equal(fen, back);
        }
        Assert.Equal("0.07", ClerkText.YuanNumber(7));
        Assert.Equal("-0.07", ClerkText.YuanNumber(-7));
    }

    [Fact]
    public void WeChatTradeBill_WriteThenRead_SameEntries()
    {
        var read = WeChatTradeBill.Read(WeChatTradeBill.Write(Entries));

        Assert.Equal(StatementFormat.WeChatTradeBill, read.Format);
        Assert.Equal(Entries, read.Lines.Select(l => l.Entry));
        Assert.Equal([2, 3, 4, 5], read.Lines.Select(l => l.LineNumber));
    }

    [Fact]
    public void WeChatTradeBill_RealisticBill_ParsedExactlyToTheFen()
    {
        // WeChat Pay's documented settlement bill: BOM, header, backticked rows (a comma inside 商品名称), summary rows.
        var bill = "\uFEFF" + string.Join("\r\n",
            "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注",
            "`2023-11-20 09:15:02,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200001987202311201234567890,`0190a6c2d1e37b0e8f1a2b3c4d5e6f70,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`OTHERS,`CNY,`380.00,`0.00,`0,`0,`0.00,`0.00,`,`,`城乡居民医保,2024年度个人缴费,`,`0.00000,`0.00%,`380.00,`0.00,`",
            "`2023-11-20 11:40:51,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200001987202311201234567891,`0190a6c2d1e37b0e8f1a2b3c4d5e6f71,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6p,`JSAPI,`SUCCESS,`ICBC_DEBIT,`CNY,`725.00,`0.00,`0,`0,`0.00,`0.00,`,`,`城乡居民医保2024年度个人缴费,`,`0.00000,`0.00%,`725.00,`0.00,`",
            "`2023-11-20 16:02:10,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200001987202311201234567890,`0190a6c2d1e37b0e8f1a2b3c4d5e6f70,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50300208012023112012345678901,`R0190a6c2,`379.99,`0.00,`ORIGINAL,`SUCCESS,`城乡居民医保2024年度个人缴费,`,`0.00000,`0.00%,`380.00,`380.00,`",
            "`2023-11-20 23:59:59,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200001987202311201234567892,`0190a6c2d1e37b0e8f1a2b3c4d5e6f73,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6q,`MICROPAY,`REVOKED,`OTHERS,`CNY,`0.01,`0.00,`0,`0,`0.00,`0.00,`,`,`城乡居民医保2024年度个人缴费,`,`0.00000,`0.00%,`0.01,`0.00,`",
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
            "`4,`1105.01,`380.00,`0.00,`0.00000,`1485.01,`380.00",
            "");

        var read = WeChatTradeBill.Read(Encoding.UTF8.GetBytes(bill));

        Assert.Equal(
        [
            new StatementLine(2, new(StatementLineKind.Payment, "4200001987202311201234567890", 38000, At(9, 15, 2))
                { MerchantOrderId = "0190a6c2d1e37b0e8f1a2b3c4d5e6f70" }),
            new StatementLine(3, new(StatementLineKind.Payment, "4200001987202311201234567891", 72500, At(11, 40, 51))
                { MerchantOrderId = "0190a6c2d1e37b0e8f1a2b3c4d5e6f71" }),
            // A refund is read at the amount asked for (申请退款金额), not the settled 退款金额.
            new StatementLine(4, new(StatementLineKind.Refund, "4200001987202311201234567890", 38000, At(16, 2, 10))
                { MerchantOrderId = "0190a6c2d1e37b0e8f1a2b3c4d5e6f70", RefundId = "50300208012023112012345678901" }),
            new StatementLine(5, new(StatementLineKind.Reversal, "4200001987202311201234567892", 1, At(23, 59, 59))
                { MerchantOrderId = "0190a6c2d1e37b0e8f1a2b3c4d5e6f73" }),
        ], read.Lines);
    }

    [Theory]
    [InlineData("`2023-11-20 09:15:02,`wx,`1900000109,`4200001,`o1,`SUCCESS,`380.00,`380.00", 3, "has 8 fields, the header has 7")]
    [InlineData("`2023-11-20 09:15:02,`wx,`1900000109,`4200001,`o1,`SUCCESS,`380.001", 3, "订单金额 '380.001'")]
    [InlineData("`2023-11-20 09:15:02,`wx,`1900000109,`4200001,`o1,`CLOSED,`380.00", 3, "交易状态 'CLOSED'")]
    [InlineData("`2023/11/20 09:15,`wx,`1900000109,`4200001,`o1,`SUCCESS,`380.00", 3, "交易时间")]
    [InlineData("2023-11-20 09:15:02,wx,1900000109,4200001,o1,SUCCESS,380.00", 3, "backtick")]
    public void WeChatTradeBill_BadRow_RefusedNamingItsLine(string row, int line, string problem)
    {
        var bill = string.Join("\n", "交易时间,公众账号ID,商户号,微信订单号,商户订单号,交易状态,订单金额",
            "`2023-11-20 09:00:00,`wx,`1900000109,`4200000,`o0,`SUCCESS,`1.00", row, "总交易单数,订单总金额", "`2,`381.00");

        var ex = Assert.Throws<StatementFormatException>(() => WeChatTradeBill.Read(Encoding.UTF8.GetBytes(bill)));

        Assert.Equal(line, ex.LineNumber);
        Assert.Contains(problem, ex.Message);
        Assert.StartsWith($"line {line}: ", ex.Message);
    }

    [Fact]
    public void WeChatTradeBill_CutOffBeforeItsSummary_RefusedAsTruncated()
    {
        var whole = Encoding.UTF8.GetString(WeChatTradeBill.Write(Entries));
        var cut = whole[..whole.IndexOf("总交易单数", StringComparison.Ordinal)];

        var ex = Assert.Throws<StatementFormatException>(() => WeChatTradeBill.Read(Encoding.UTF8.GetBytes(cut)));

        Assert.Equal(5, ex.LineNumber);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void WeChatTradeBill_SummaryCountDiffers_RefusedAtTheSummaryRow()
    {
        var bill = Encoding.UTF8.GetString(WeChatTradeBill.Write(Entries)).Replace("\r\n`4,`", "\r\n`5,`");

        var ex = Assert.Throws<StatementFormatException>(() => WeChatTradeBill.Read(Encoding.UTF8.GetBytes(bill)));

        Assert.Equal(7, ex.LineNumber);
        Assert.Contains("lists 4 transactions", ex.Message);
    }

    [Fact]
    public void AlipayTradeStatement_WriteThenRead_SameEntriesFromGbk()
    {
        var written = AlipayTradeStatement.Write(Day, Entries);

        var read = AlipayTradeStatement.Read(written);

        Assert.Throws<System.Text.DecoderFallbackException>(() => new UTF8Encoding(false, true).GetString(written));
        Assert.Equal(StatementFormat.AlipayTradeStatement, read.Format);
        Assert.Equal(Entries, read.Lines.Select(l => l.Entry));
        Assert.Equal((Day, 3), read.DeclaredDate);
    }

    [Fact]
    public void AlipayTradeStatement_RealisticGbkStatement_ParsedExactlyToTheFen()
    {
        // Alipay's documented 业务明细: '#' head and trailer lines, identifiers ending in a tab, refunds negative, GBK.
        var text = string.Join("\r\n",
            "#支付宝业务明细查询",
            "#账号：[20881234567890120156]",
            "#起始日期：[2023年11月20日 00:00:00]   终止日期：[2023年11月21日 00:00:00]",
            "#-----------------------------------------业务明细列表----------------------------------------",
            "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注",
            "2023112022001404561400012345\t,0190a6c2d1e37b0e8f1a2b3c4d5e6f72\t,交易,城乡居民医保缴费,2023-11-20 10:03:11,2023-11-20 10:03:25,\t,\t,\t,\t,张*(139****1234)\t,380.00,380.00,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,\t,0.00,0.00,",
            "2023112022001404561400012399\t,0190a6c2d1e37b0e8f1a2b3c4d5e6f74\t,交易,城乡居民医保缴费,2023-11-20 20:47:59,2023-11-20 20:48:03,\t,\t,\t,\t,李*(186****0001)\t,725.50,725.50,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,\t,0.00,0.00,",
            "2023112022001404561400012345\t,0190a6c2d1e37b0e8f1a2b3c4d5e6f72\t,退款,城乡居民医保缴费,2023-11-20 15:00:00,2023-11-20 15:00:02,\t,\t,\t,\t,张*(139****1234)\t,-380.00,-380.00,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,2023112015000012345\t,0.00,0.00,",
            "#-----------------------------------------业务明细列表结束------------------------------------",
            "#交易合计：2笔，商家实收共1105.50元，商家优惠共0.00元",
            "#退款合计：1笔，商家实收退款共-380.00元，商家优惠退款共0.00元",
            "#导出时间：[2023年11月21日 09:12:34]",
            "");

        var read = AlipayTradeStatement.Read(Encoding.GetEncoding("GB18030").GetBytes(text));

        Assert.Equal(
        [
            new StatementLine(6, new(StatementLineKind.Payment, "2023112022001404561400012345", 38000, At(10, 3, 25))
                { MerchantOrderId = "0190a6c2d1e37b0e8f1a2b3c4d5e6f72" }),
            new StatementLine(7, new(StatementLineKind.Payment, "2023112022001404561400012399", 72550, At(20, 48, 3))
                { MerchantOrderId = "0190a6c2d1e37b0e8f1a2b3c4d5e6f74" }),
            new StatementLine(8, new(StatementLineKind.Refund, "2023112022001404561400012345", 38000, At(15, 0, 2))
                { MerchantOrderId = "0190a6c2d1e37b0e8f1a2b3c4d5e6f72", RefundId = "2023112015000012345" }),
        ], read.Lines);
        Assert.Equal((Day, 3), read.DeclaredDate);
    }

    [Fact]
    public void AlipayTradeStatement_TradeTotalDiffers_RefusedAtTheTotalLine()
    {
        var text = Encoding.GetEncoding("GB18030").GetString(AlipayTradeStatement.Write(Day, Entries)).Replace("#交易合计：3笔", "#交易合计：4笔");

        var ex = Assert.Throws<StatementFormatException>(() => AlipayTradeStatement.Read(Encoding.UTF8.GetBytes(text)));

        Assert.Equal(11, ex.LineNumber);
        Assert.Contains("交易合计 says 4笔 but the statement lists 3", ex.Message);
    }

    [Fact]
    public void AlipayTradeStatement_CutOffBeforeTheListEnd_RefusedAsTruncated()
    {
        var text = Encoding.GetEncoding("GB18030").GetString(AlipayTradeStatement.Write(Day, Entries));
        var cut = text[..text.IndexOf("#-----------------------------------------业务明细列表结束", StringComparison.Ordinal)];

        var ex = Assert.Throws<StatementFormatException>(() => AlipayTradeStatement.Read(Encoding.UTF8.GetBytes(cut)));

        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void BureauCollectionStatement_WriteThenRead_SameEntries()
    {
        var read = BureauCollectionStatement.Read(BureauCollectionStatement.Write("village_pos", Day, Entries));

        Assert.Equal(Entries, read.Lines.Select(l => l.Entry));
        Assert.Equal(("village_pos", 2), read.DeclaredChannel);
        Assert.Equal((Day, 3), read.DeclaredDate);
    }

    [Fact]
    public void BureauCollectionStatement_TaxBureauSample_ParsedExactlyToTheFen()
    {
        var text = """
            #medins-collection-statement,1
            #channel,tax_e_bureau
            #date,2023-11-20
            collection_time,transaction_id,order_id,kind,amount_yuan,refund_id
            2023-11-20 10:01:02,331202311200000001,0190a6c2-d1e3-7b0e-8f1a-2b3c4d5e6f75,payment,380.00,
            2023-11-20 10:05:40,331202311200000002,,payment,0.01,

            2023-11-20 16:40:00,331202311200000001,0190a6c2-d1e3-7b0e-8f1a-2b3c4d5e6f75,refund,380.00,TR20231120000001
            #total,3,380.01,380.00
            """;

        var read = BureauCollectionStatement.Read(Encoding.UTF8.GetBytes(text));

        Assert.Equal(
        [
            new StatementLine(5, new(StatementLineKind.Payment, "331202311200000001", 38000, At(10, 1, 2))
                { MerchantOrderId = "0190a6c2-d1e3-7b0e-8f1a-2b3c4d5e6f75" }),
            new StatementLine(6, new(StatementLineKind.Payment, "331202311200000002", 1, At(10, 5, 40))),
            new StatementLine(8, new(StatementLineKind.Refund, "331202311200000001", 38000, At(16, 40, 0))
                { MerchantOrderId = "0190a6c2-d1e3-7b0e-8f1a-2b3c4d5e6f75", RefundId = "TR20231120000001" }),
        ], read.Lines);
    }

    [Theory]
    [InlineData("2023-11-20 10:05:40,S2,,payment,0.02,", 7, "the records are 2, 380.02 and 0.00")]
    [InlineData("2023-11-20 10:05:40,331202311200000002,,payment,-0.01,", 6, "must be positive")]
    [InlineData("2023-11-20 10:05:40,331202311200000002,,deposit,0.01,", 6, "kind 'deposit'")]
    [InlineData("2023-11-20 10:05:40,331202311200000002,,refund,0.01,", 6, "refund_id")]
    [InlineData("2023-11-20 10:05:40,\"331202311200000002,,payment,0.01,", 6, "quoted field")]
    public void BureauCollectionStatement_BadLine_RefusedNamingIt(string line, int number, string problem)
    {
        var text = string.Join("\n", "#medins-collection-statement,1", "#channel,school", "#date,2023-11-20",
            "collection_time,transaction_id,order_id,kind,amount_yuan,refund_id", "2023-11-20 10:01:02,S1,,payment,380.00,", line,
            "#total,2,380.01,0.00");

        var ex = Assert.Throws<StatementFormatException>(() => BureauCollectionStatement.Read(Encoding.UTF8.GetBytes(text)));

        Assert.Equal(number, ex.LineNumber);
        Assert.Contains(problem, ex.Message);
    }

    [Fact]
    public void ReadStatementOf_AnotherChannelsStatement_RefusedAtItsChannelLine()
    {
        var content = BureauCollectionStatement.Write("school", Day, Entries[..1]);

        var ex = Assert.Throws<StatementFormatException>(() => StatementFormats.ReadStatementOf("village_pos", Day, content));

        Assert.Equal(2, ex.LineNumber);
        Assert.Contains("channel school, not of village_pos", ex.Message);
    }

    [Fact]
    public void ReadStatementOf_AnotherDaysStatement_RefusedAtItsDateLine()
    {
        var ex = Assert.Throws<StatementFormatException>(() =>
            StatementFormats.ReadStatementOf("alipay", Day.AddDays(1), AlipayTradeStatement.Write(Day, Entries)));

        Assert.Equal(3, ex.LineNumber);
    }

    [Fact]
    public void ReadStatementOf_LineOfAnotherDay_RefusedAtThatLine()
    {
        StatementEntry[] entries = [Entries[0], Entries[1] with { ChannelTime = new DateTimeOffset(2023, 11, 21, 0, 0, 0, Beijing) }];

        var ex = Assert.Throws<StatementFormatException>(() =>
            StatementFormats.ReadStatementOf("wechat_pay", Day, WeChatTradeBill.Write(entries)));

        Assert.Equal(3, ex.LineNumber);
        Assert.Contains("dated 2023-11-21", ex.Message);
    }

    [Fact]
    public void ReadStatementOf_PaymentListedTwice_RefusedAtTheSecond()
    {
        StatementEntry[] entries = [Entries[0], Entries[1], Entries[0] with { ChannelTime = At(12, 0) }];

        var ex = Assert.Throws<StatementFormatException>(() =>
            StatementFormats.ReadStatementOf("wechat_pay", Day, WeChatTradeBill.Write(entries)));

        Assert.Equal(4, ex.LineNumber);
        Assert.Contains("first on line 2", ex.Message);
    }

    [Fact]
    public void For_Channels_TheirStatementFormats()
    {
        Assert.Equal(StatementFormat.WeChatTradeBill, StatementFormats.For("wechat_pay"));
        Assert.Equal(StatementFormat.AlipayTradeStatement, StatementFormats.For("alipay"));
        foreach (var channel in new[] { "tax_e_bureau", "yukuaiban", "bank_counter", "village_pos", "school", "village_cash" })
            Assert.Equal(StatementFormat.BureauCollectionStatement, StatementFormats.For(channel));
    }
}
