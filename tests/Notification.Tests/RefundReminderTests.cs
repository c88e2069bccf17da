using Medins.Identity.V1;
using Medins.Notification.Data;
using Medins.Notification.Delivery;
using Medins.Notification.Domain;

namespace Medins.Notification.Tests;

public class RefundReminderTests
{
    private static readonly DateOnly Today = new(2023, 12, 10);

    private static DueMessage Reminder(string templateKey = "reminder") => new("cq-lidu", Guid.NewGuid(), RecipientKinds.Resident,
        Guid.NewGuid().ToString(), templateKey, "SMS", "请缴费", [], 0, Guid.NewGuid(), 2024, "", [], DateTimeOffset.MaxValue);

    private static Resident WithEnrolment(EnrolmentStatus status, bool excused) => new()
    {
        Enrolments = { new Enrolment { CoverageYear = 2024, Status = status, ExcusedFromEnrolment = excused, RefundReason = "army" } },
    };

    [Theory]
    [InlineData(EnrolmentStatus.RefundPending)]
    [InlineData(EnrolmentStatus.Refunded)]
    public void ReasonNotToWrite_ReminderToResidentExcusedByRefund_Skipped(EnrolmentStatus status)
    {
        // Seed 004 §二(五)3: army service suspends her enrolment here; no campaign should ask her to pay.
        Assert.Equal(SkipReasons.ExcusedByRefund, Dispatcher.ReasonNotToWrite(WithEnrolment(status, excused: true), Reminder(), Today));
    }

    [Fact]
    public void ReasonNotToWrite_RefundNotExcusing_ReminderGoes()
    {
        Assert.Null(Dispatcher.ReasonNotToWrite(WithEnrolment(EnrolmentStatus.Refunded, excused: false), Reminder(), Today));
    }

    [Fact]
    public void ReasonNotToWrite_RefundNoticeToExcusedResident_Goes()
    {
        Assert.Null(Dispatcher.ReasonNotToWrite(WithEnrolment(EnrolmentStatus.Refunded, excused: true), Reminder("refund-notice"), Today));
    }
}
