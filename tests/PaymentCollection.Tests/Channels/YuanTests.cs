using Medins.PaymentCollection.Channels;

namespace Medins.PaymentCollection.Tests.Channels;

public sealed class YuanTests
{
    [Theory]
    [InlineData("380.00", 38000)]
    [InlineData("380", 38000)]
    [InlineData("380.5", 38050)]
    [InlineData("0.01", 1)]
    [InlineData("0.1", 10)]
    [InlineData("0", 0)]
    [InlineData("0.29", 29)] // 0.29 * 100 is 28.999999999999996 in binary floating point
    [InlineData("1.15", 115)] // 1.15 * 100 is 114.99999999999999
    [InlineData("100000000000.99", 10_000_000_000_099)]
    public void TryParseFen_DocumentedFormat_ExactFen(string yuan, long fen)
    {
        Assert.True(Yuan.TryParseFen(yuan, out var parsed));
        Assert.Equal(fen, parsed);
    }

    [Theory]
    [InlineData("380.001")]
    [InlineData("-1.00")]
    [InlineData("+1.00")]
    [InlineData("1e2")]
    [InlineData(" 1.00")]
    [InlineData("1.00 ")]
    [InlineData("01.00")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("1,00")]
    [InlineData("１.００")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("100000000001.00")]
    [InlineData("99999999999999999999")]
    public void TryParseFen_AnythingElse_Refused(string? yuan)
    {
        Assert.False(Yuan.TryParseFen(yuan, out var fen));
        Assert.Equal(0, fen);
    }

    [Fact]
    public void FromFenThenTryParseFen_EveryAmountUpTo2000Yuan_RoundTripsExactly()
    {
        for (long fen = 0; fen <= 200_000; fen++)
        {
            var text = Yuan.FromFen(fen);
            Assert.Matches(@"^(0|[1-9][0-9]*)\.[0-9]{2}$", text);
            Assert.True(Yuan.TryParseFen(text, out var back));
            Assert.Equal(fen, back);
        }
    }

    [Theory]
    [InlineData(38000, "380.00")]
    [InlineData(1, "0.01")]
    [InlineData(10, "0.10")]
    [InlineData(0, "0.00")]
    public void FromFen_Fen_TwoDecimalYuan(long fen, string yuan) => Assert.Equal(yuan, Yuan.FromFen(fen));
}
