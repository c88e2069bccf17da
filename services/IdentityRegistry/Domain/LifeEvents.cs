namespace Medins.IdentityRegistry.Domain;

public enum LifeEventKind
{
    Death,
    MovedAway,
    EmployeeInsurance,
    InsuredElsewhere,
    Army,
    Prison,
    Release,
    Discharge,
    NewbornRegistration,
    StudentEnrolment,
    EmployeeInsuranceEnded,
    TransferIn,
    NewHousehold,
}

/// <summary>Why and since when a resident is not expected to enrol while she stays registered.</summary>
public sealed record Suspension(DateOnly Since, LifeEventKind Reason);

public static class LifeEvents
{
    private static readonly (LifeEventKind Kind, string Code)[] All =
    [
        (LifeEventKind.Death, "death"), (LifeEventKind.MovedAway, "moved_away"),
        (LifeEventKind.EmployeeInsurance, "employee_insurance"), (LifeEventKind.InsuredElsewhere, "insured_elsewhere"),
        (LifeEventKind.Army, "army"), (LifeEventKind.Prison, "prison"), (LifeEventKind.Release, "release"),
        (LifeEventKind.Discharge, "discharge"), (LifeEventKind.NewbornRegistration, "newborn_registration"),
        (LifeEventKind.StudentEnrolment, "student_enrolment"), (LifeEventKind.EmployeeInsuranceEnded, "employee_insurance_ended"),
        (LifeEventKind.TransferIn, "transfer_in"), (LifeEventKind.NewHousehold, "new_household"),
    ];

    public static string Code(LifeEventKind kind) => All.First(k => k.Kind == kind).Code;

    public static LifeEventKind Parse(string code) => All.First(k => k.Code == code).Kind;

    /// <summary>Death and moving away end the registration here (a police deregistration certificate, seed 002 §6).</summary>
    public static bool Deregisters(LifeEventKind kind) => kind is LifeEventKind.Death or LifeEventKind.MovedAway;

    /// <summary>Whether recording <paramref name="kind"/> can start or end a <see cref="Suspension"/>.</summary>
    public static bool AffectsSuspension(LifeEventKind kind) => kind is LifeEventKind.EmployeeInsurance or LifeEventKind.InsuredElsewhere
        or LifeEventKind.Army or LifeEventKind.Prison or LifeEventKind.Release or LifeEventKind.Discharge
        or LifeEventKind.EmployeeInsuranceEnded;

    /// <summary>
    /// The suspension her recorded events leave standing, or null. Army service and prison suspend her resident
    /// insurance from the event date (seed 004 二（五）3: 服役、服刑) until discharge (退役) or release (刑满释放) on or after
    /// that date; employee insurance covers her from the event date until it ends (职工医保终止, the lapse date seed 003
    /// 二（二）2 counts from), another region's resident insurance from the event date on. An end with nothing to end
    /// changes nothing. Events count in date order, whatever order they were
    /// recorded in; among several standing reasons the earliest names the suspension.
    /// </summary>
    public static Suspension? SuspensionAfter(IEnumerable<(LifeEventKind Kind, DateOnly OccurredOn)> events)
    {
        DateOnly? army = null, prison = null, employee = null, elsewhere = null;
        foreach (var (kind, occurred) in events.OrderBy(e => e.OccurredOn))
        {
            switch (kind)
            {
                case LifeEventKind.Army: army ??= occurred; break;
                case LifeEventKind.Discharge: army = null; break;
                case LifeEventKind.Prison: prison ??= occurred; break;
                case LifeEventKind.Release: prison = null; break;
                case LifeEventKind.EmployeeInsurance: employee ??= occurred; break;
                case LifeEventKind.EmployeeInsuranceEnded: employee = null; break;
                case LifeEventKind.InsuredElsewhere: elsewhere ??= occurred; break;
            }
        }
        Suspension?[] standing =
        [
            employee is { } employed ? new Suspension(employed, LifeEventKind.EmployeeInsurance) : null,
            elsewhere is { } covered ? new Suspension(covered, LifeEventKind.InsuredElsewhere) : null,
            army is { } since ? new Suspension(since, LifeEventKind.Army) : null,
            prison is { } from ? new Suspension(from, LifeEventKind.Prison) : null,
        ];
        return standing.Where(s => s is not null).MinBy(s => s!.Since);
    }

    /// <summary>Why the event cannot be recorded for a person born on <paramref name="birthDate"/>, or null.</summary>
    public static string? DateProblem(DateOnly occurred, DateOnly birthDate, DateOnly today) =>
        occurred > today ? "must not be in the future"
        : occurred < birthDate ? "must not be before the resident's birth date"
        : null;
}
