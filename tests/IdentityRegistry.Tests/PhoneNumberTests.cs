using Medins.IdentityRegistry.Domain;

namespace Medins.IdentityRegistry.Tests;

public class PhoneNumberTests
{
    [Fact]
    public void Mask_MobileNumber_KeepsFirstThreeAndLastFour()
    {
        Assert.Equal("138****1234", PhoneNumber.Mask("13800001234"));
    }

    [Theory]
    [InlineData("13800001234", "13800001234")]
    [InlineData("138 0000 1234", "13800001234")]
    [InlineData("138-0000-1234", "13800001234")]
    public void Normalise_MobileNumber_DigitsOnly(string input, string expected)
    {
        Assert.Equal(expected, PhoneNumber.Normalise(input));
    }

    [Theory]
    [InlineData("12800001234")]
    [InlineData("1380000123")]
    [InlineData("023-4567890")]
    [InlineData("abc")]
    public void Normalise_NotAMobileNumber_Null(string input)
    {
        Assert.Null(PhoneNumber.Normalise(input));
    }
}
