using Medins.Notification.Domain;

namespace Medins.Notification.Tests;

public class MessageTemplateTests
{
    private const string Receipt = "您已缴纳{coverage_year}年度城乡居民医保个人缴费{amount_yuan}元，待遇享受期{benefit_start}至{benefit_end}。";

    [Theory]
    [InlineData(38000, "380.00")] // seeds 000/003/004: the 380 yuan personal standard
    [InlineData(75500, "755.00")] // seed 000: Lidu tier 2
    [InlineData(3800, "38.00")]   // seed 000: 低保 tier 1 pays 38
    [InlineData(0, "0.00")]       // zero-contribution (特困)
    [InlineData(5, "0.05")]
    [InlineData(75505, "755.05")]
    [InlineData(-38000, "-380.00")]
    public void Yuan_Fen_TwoDecimals(long fen, string expected)
    {
        Assert.Equal(expected, MessageTemplate.Yuan(fen));
    }

    [Fact]
    public void Yuan_LongMinValue_DoesNotOverflow()
    {
        Assert.Equal("-92233720368547758.08", MessageTemplate.Yuan(long.MinValue));
    }

    [Fact]
    public void Render_PaymentReceipt_FillsEveryPlaceholder()
    {
        var values = MessageValues.Payment(2024, 38000, new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31));

        Assert.Equal("您已缴纳2024年度城乡居民医保个人缴费380.00元，待遇享受期2024-01-01至2024-12-31。",
            MessageTemplate.Render(Receipt, values));
    }

    [Fact]
    public void Render_PlaceholderWithoutValue_ThrowsNamingIt()
    {
        var values = MessageValues.Payment(2024, 38000, benefitStart: null, benefitEnd: new DateOnly(2024, 12, 31));

        var ex = Assert.Throws<TemplateRenderException>(() => MessageTemplate.Render(Receipt, values));
        Assert.Equal(["benefit_start"], ex.Missing);
    }

    [Fact]
    public void Render_TemplateTextHoldsIdNumber_IdNumberBlanked()
    {
        var rendered = MessageTemplate.Render("请核对110101199003077578的{amount_yuan}元", MessageValues.Payment(2024, 100, null, null));

        Assert.Equal("请核对******************的1.00元", rendered);
    }

    [Fact]
    public void Render_LongerDigitRun_NotMistakenForIdNumber()
    {
        const string transaction = "4200001234567890123456";

        Assert.Equal(transaction, MessageTemplate.Render(transaction, new Dictionary<string, string>()));
    }

    [Fact]
    public void ShanghaiDate_LateEveningUtc_IsNextDayInShanghai()
    {
        // 2023-12-31 16:30 UTC is 2024-01-01 00:30 in Beijing.
        Assert.Equal(new DateOnly(2024, 1, 1), MessageTemplate.ShanghaiDate(new DateTimeOffset(2023, 12, 31, 16, 30, 0, TimeSpan.Zero)));
    }
}
