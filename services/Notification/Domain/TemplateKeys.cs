namespace Medins.Notification.Domain;

/// <summary>The kinds of message the platform sends, and the placeholders each offers its templates.</summary>
public static class TemplateKeys
{
    public const string PaymentReceipt = "payment-receipt";
    public const string RefundNotice = "refund-notice";
    public const string Reminder = "reminder";
    public const string BehindScheduleAlert = "behind-schedule-alert";
    public const string WeeklyBulletin = "weekly-bulletin";
    public const string CashUnremittedAlert = "cash-unremitted-alert";

    /// <summary>Every key and the placeholder names its messages fill; a template may use any subset.</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> Placeholders { get; } =
        new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal)
        {
            [PaymentReceipt] = Set("coverage_year", "amount_yuan", "benefit_start", "benefit_end", "receipt_number"),
            [RefundNotice] = Set("coverage_year", "amount_yuan", "refund_date"),
            [Reminder] = Set("name", "coverage_year", "deadline"),
            [BehindScheduleAlert] = Set("village_name", "coverage_year", "snapshot_date", "target_rate", "achieved_rate", "gap"),
            [WeeklyBulletin] = Set("township_name", "coverage_year", "snapshot_date", "enrolled_count", "enrolled_this_week",
                "enrolment_rate", "villages_behind_schedule", "expected_rate", "lagging_villages"),
            [CashUnremittedAlert] = Set("village_name", "agent_id", "collection_date", "amount_yuan", "receipt_count"),
        };

    /// <summary>
    /// Reminders honour a reminders-only opt-out; the other kinds concern the person's own money or work. A tenant may
    /// keep several reminder wordings ("reminder-migrant-workers"); they offer the reminder's placeholders.
    /// </summary>
    public static bool IsReminder(string templateKey) =>
        templateKey == Reminder || (templateKey.StartsWith(Reminder + "-", StringComparison.Ordinal) && templateKey.Length > Reminder.Length + 1);

    /// <summary>The placeholders a key offers, or null for a key the platform never sends.</summary>
    public static IReadOnlySet<string>? PlaceholdersOf(string templateKey) =>
        IsReminder(templateKey) ? Placeholders[Reminder] : Placeholders.GetValueOrDefault(templateKey);

    private static HashSet<string> Set(params string[] names) => new(names, StringComparer.Ordinal);
}
