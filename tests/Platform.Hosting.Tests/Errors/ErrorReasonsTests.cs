using PaymentReason = Medins.Payment.V1.ErrorReason;
using PlatformReason = Medins.Platform.V1.ErrorReason;

namespace Medins.Platform.Hosting.Tests.Errors;

public sealed class ErrorReasonsTests
{
    [Fact]
    public void Code_EnumValue_ProtoNameWithoutItsPrefixTypedOrBoxed()
    {
        Assert.Equal("ALREADY_PAID", ErrorReasons.Code(PaymentReason.AlreadyPaid));
        Assert.Equal("ALREADY_PAID", ErrorReasons.Code((System.Enum)PaymentReason.AlreadyPaid));
        Assert.Equal("INVALID_PAGE_TOKEN", ErrorReasons.Code(PlatformReason.InvalidPageToken));
    }

    [Fact]
    public void Code_EveryValueOfAnEnum_TypedAndBoxedAgree()
    {
        foreach (var reason in Enum.GetValues<PaymentReason>().Where(r => r != PaymentReason.Unspecified))
            Assert.Equal(ErrorReasons.Code((System.Enum)reason), ErrorReasons.Code(reason));
    }

    [Fact]
    public void Code_Unspecified_Refused()
    {
        Assert.Throws<ArgumentException>(() => ErrorReasons.Code(PaymentReason.Unspecified));
        Assert.Throws<ArgumentException>(() => ErrorReasons.Code(DayOfWeek.Monday));
    }
}
