namespace Medins;

/// <summary>Pub/sub topic names; each topic carries one protobuf event message type.</summary>
public static class EventTopics
{
    /// <summary><see cref="Medins.Payment.V1.ContributionPaid"/>.</summary>
    public const string ContributionPaid = "contribution.paid";
    /// <summary><see cref="Medins.Payment.V1.ContributionRefunded"/>.</summary>
    public const string ContributionRefunded = "contribution.refunded";
    /// <summary><see cref="Medins.Payment.V1.ContributionRefundRequested"/>.</summary>
    public const string ContributionRefundRequested = "contribution.refund-requested";
    /// <summary><see cref="Medins.Payment.V1.CashUnremitted"/>.</summary>
    public const string CashUnremitted = "payment.cash-unremitted";
    /// <summary><see cref="Medins.Identity.V1.ResidentRegistered"/>.</summary>
    public const string ResidentRegistered = "resident.registered";
    /// <summary><see cref="Medins.Identity.V1.ResidentDeregistered"/>.</summary>
    public const string ResidentDeregistered = "resident.deregistered";
    /// <summary><see cref="Medins.Identity.V1.IdentityCertified"/>.</summary>
    public const string IdentityCertified = "identity.certified";
    /// <summary><see cref="Medins.Identity.V1.IdentityRevoked"/>.</summary>
    public const string IdentityRevoked = "identity.revoked";
    /// <summary><see cref="Medins.Identity.V1.PriorEnrolmentsImported"/>.</summary>
    public const string PriorEnrolmentsImported = "identity.prior-enrolments-imported";
    /// <summary><see cref="Medins.Contribution.V1.PolicyPublished"/>.</summary>
    public const string PolicyPublished = "policy.published";
    /// <summary><see cref="Medins.Quota.V1.QuotaBehindSchedule"/>.</summary>
    public const string QuotaBehindSchedule = "quota.behind-schedule";
    /// <summary><see cref="Medins.Quota.V1.QuotaWeeklySnapshotTaken"/>.</summary>
    public const string QuotaWeeklySnapshotTaken = "quota.weekly-snapshot-taken";
}
