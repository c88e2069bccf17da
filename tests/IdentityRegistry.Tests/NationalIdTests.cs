using Medins.IdentityRegistry.Domain;

namespace Medins.IdentityRegistry.Tests;

public class NationalIdTests
{
    private static readonly DateOnly Today = new(2023, 11, 15);

    [Fact]
    public void TryParse_ExampleFromTheStandard_Accepted()
    {
        // GB 11643-1999's worked example: a woman born 31 Dec 1949 in Beijing's Chaoyang district.
        var error = NationalId.TryParse("11010519491231002X", Today, out var id);

        Assert.Equal(NationalIdError.None, error);
        Assert.Equal(new DateOnly(1949, 12, 31), id.BirthDate);
        Assert.Equal(Sex.Female, id.Sex);
    }

    [Theory]
    [InlineData("500118", 1980, 5, 17, 123, Sex.Male)]
    [InlineData("511421", 2023, 11, 15, 88, Sex.Female)]
    [InlineData("130628", 1955, 2, 28, 1, Sex.Male)]
    [InlineData("820000", 2000, 2, 29, 470, Sex.Female)]
    public void TryParse_ComputedValidNumber_DerivesBirthDateAndSex(string region, int year, int month, int day, int sequence, Sex sex)
    {
        var birth = new DateOnly(year, month, day);
        var text = TestIds.Make(region, birth, sequence);

        var error = NationalId.TryParse(text, Today, out var id);

        Assert.Equal(NationalIdError.None, error);
        Assert.Equal(text, id.Value);
        Assert.Equal(birth, id.BirthDate);
        Assert.Equal(sex, id.Sex);
    }

    [Fact]
    public void TryParse_WrongCheckCharacter_CheckDigitMismatch()
    {
        var text = TestIds.WithWrongCheck(TestIds.Make("500102", new DateOnly(1970, 1, 1), 31));

        Assert.Equal(NationalIdError.CheckDigitMismatch, NationalId.TryParse(text, Today, out _));
    }

    [Theory]
    [InlineData("000000")]
    [InlineData("160101")]
    [InlineData("720000")]
    [InlineData("990101")]
    public void TryParse_RegionOutsideEveryProvince_UnknownProvince(string region)
    {
        var text = TestIds.Make(region, new DateOnly(1970, 1, 1), 31);

        Assert.Equal(NationalIdError.UnknownProvince, NationalId.TryParse(text, Today, out _));
    }

    [Fact]
    public void TryParse_BirthDateTomorrow_BirthDateInFuture()
    {
        var text = TestIds.Make("500118", Today.AddDays(1), 31);

        Assert.Equal(NationalIdError.BirthDateInFuture, NationalId.TryParse(text, Today, out _));
    }

    [Fact]
    public void TryParse_BornToday_Accepted()
    {
        var text = TestIds.Make("500118", Today, 31);

        Assert.Equal(NationalIdError.None, NationalId.TryParse(text, Today, out _));
    }

    [Theory]
    [InlineData("50011819810230")] // 30 February
    [InlineData("50011818991231")] // before 1900
    public void TryParse_ImpossibleBirthDate_InvalidBirthDate(string first14)
    {
        // Built by hand: a date TestIds cannot represent; the check character is made valid so only the date is wrong.
        var body = first14 + "123";
        int[] weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        var text = body + "10X98765432"[body.Select((c, i) => (c - '0') * weights[i]).Sum() % 11];

        Assert.Equal(NationalIdError.InvalidBirthDate, NationalId.TryParse(text, Today, out _));
    }

    [Fact]
    public void TryParse_FifteenDigitFirstGeneration_WrongLength()
    {
        Assert.Equal(NationalIdError.WrongLength, NationalId.TryParse("500118800517123", Today, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void TryParse_Nothing_Missing(string? text)
    {
        Assert.Equal(NationalIdError.Missing, NationalId.TryParse(text, Today, out _));
    }

    [Theory]
    [InlineData("5001181980051712A4")]
    [InlineData("50011819800517123Y")]
    [InlineData("５00118198005171234")]
    public void TryParse_NonDigit_InvalidCharacter(string text)
    {
        Assert.Equal(NationalIdError.InvalidCharacter, NationalId.TryParse(text, Today, out _));
    }

    [Fact]
    public void TryParse_LowerCaseX_AcceptedAndNormalised()
    {
        var upper = TestIds.MakeEndingIn('X', "500118", new DateOnly(1985, 3, 9));

        var error = NationalId.TryParse(" " + upper.ToLowerInvariant() + " ", Today, out var id);

        Assert.Equal(NationalIdError.None, error);
        Assert.Equal(upper, id.Value);
    }

    [Fact]
    public void Mask_KeepsFirstAndLastFour()
    {
        NationalId.TryParse("11010519491231002X", Today, out var id);

        Assert.Equal("1101**********002X", id.Mask());
    }

    [Fact]
    public void ToString_IsMaskedSoLogsNeverCarryTheNumber()
    {
        NationalId.TryParse("11010519491231002X", Today, out var id);

        Assert.Equal("1101**********002X", id.ToString());
        Assert.DoesNotContain("19491231", $"{id}");
    }

    [Fact]
    public void Describe_EveryError_HasItsOwnDescription()
    {
        foreach (var error in Enum.GetValues<NationalIdError>().Where(e => e != NationalIdError.None))
            Assert.NotEqual("is invalid", NationalId.Describe(error));
    }
}
