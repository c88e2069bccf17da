using Google.Protobuf.WellKnownTypes;
using Medins.Identity.V1;
using Medins.PaymentCollection.Orders;

namespace Medins.PaymentCollection.Tests;

/// <summary>Which of the registry's facts the quote is asked with (ResidentPricing.GoverningLifeEvent).</summary>
public sealed class GoverningLifeEventTests
{
    private static readonly DateOnly PaymentDay = new(2023, 11, 20);

    [Fact]
    public void GoverningLifeEvent_StudentOnTheSchoolYearScheme_SchemeRecordedDayWhateverElseHappened()
    {
        // seed 000 三（二）: 已参加2023年9月至2024学年度居民医保的大学生…无需再缴纳 — the scheme decides, not her later move.
        var resident = new Resident
        {
            BirthDate = new DateOnly(2004, 3, 9).ToProtoDate(),
            PersonGroup = new PersonGroupMembership
            {
                PersonGroup = "university-student", SchoolYearScheme = true,
                RecordTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2023, 9, 30, 23, 30, 0, TimeSpan.Zero)),
            },
            LifeEvents = { new LifeEvent { Kind = Identity.V1.LifeEventKind.TransferIn, OccurredDate = new DateOnly(2023, 11, 1).ToProtoDate() } },
        };

        var governing = ResidentPricing.GoverningLifeEvent(resident, PaymentDay);

        Assert.Equal(Contribution.V1.LifeEventKind.SchoolYearScheme, governing!.Kind);
        Assert.Equal(new DateOnly(2023, 10, 1), governing.Date.ToDateOnly()); // 07:30 on 1 October in Beijing
    }

    [Fact]
    public void GoverningLifeEvent_TransferInAfterBirth_TheLatestEventOnOrBeforeThePaymentDay()
    {
        var resident = new Resident
        {
            BirthDate = new DateOnly(1980, 5, 17).ToProtoDate(),
            LifeEvents =
            {
                new LifeEvent { Kind = Identity.V1.LifeEventKind.TransferIn, OccurredDate = new DateOnly(2023, 10, 8).ToProtoDate() },
                new LifeEvent { Kind = Identity.V1.LifeEventKind.Release, OccurredDate = new DateOnly(2023, 12, 1).ToProtoDate() },
            },
        };

        var governing = ResidentPricing.GoverningLifeEvent(resident, PaymentDay);

        Assert.Equal(Contribution.V1.LifeEventKind.TransferIn, governing!.Kind);
        Assert.Equal(new DateOnly(2023, 10, 8), governing.Date.ToDateOnly());
    }
}
