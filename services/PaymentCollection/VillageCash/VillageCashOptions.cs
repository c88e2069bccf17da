namespace Medins.PaymentCollection.VillageCash;

/// <summary>Settings of the <c>PaymentCollection:VillageCash</c> configuration section.</summary>
public sealed class VillageCashOptions
{
    public const string Section = "PaymentCollection:VillageCash";

    /// <summary>
    /// The Asia/Shanghai time of day by which a day's cash must be deposited, for tenants that have not set their
    /// own (SetCashRemittanceCutoff): late enough for the day's collection, early enough for the bank.
    /// </summary>
    public TimeOnly DefaultRemittanceCutoff { get; set; } = new(17, 30);

    /// <summary>How often the monitor looks for cash held past its cut-off and refreshes the gauge.</summary>
    public int CheckIntervalSeconds { get; set; } = 60;

    public TimeSpan CheckInterval => TimeSpan.FromSeconds(CheckIntervalSeconds);
}
