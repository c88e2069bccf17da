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
}

public static class LifeEvents
{
    private static readonly (LifeEventKind Kind, string Code)[] All =
    [
        (LifeEventKind.Death, "death"), (LifeEventKind.MovedAway, "moved_away"),
        (LifeEventKind.EmployeeInsurance, "employee_insurance"), (LifeEventKind.InsuredElsewhere, "insured_elsewhere"),
        (LifeEventKind.Army, "army"), (LifeEventKind.Prison, "prison"), (LifeEventKind.Release, "release"),
        (LifeEventKind.Discharge, "discharge"), (LifeEventKind.NewbornRegistration, "newborn_registration"),
        (LifeEventKind.StudentEnrolment, "student_enrolment"),
    ];

    public static string Code(LifeEventKind kind) => All.First(k => k.Kind == kind).Code;

    public static LifeEventKind Parse(string code) => All.First(k => k.Code == code).Kind;

    /// <summary>Death and moving away end the registration here (a police deregistration certificate, RULES.md §6).</summary>
    public static bool Deregisters(LifeEventKind kind) => kind is LifeEventKind.Death or LifeEventKind.MovedAway;

    /// <summary>Why the event cannot be recorded for a person born on <paramref name="birthDate"/>, or null.</summary>
    public static string? DateProblem(DateOnly occurred, DateOnly birthDate, DateOnly today) =>
        occurred > today ? "must not be in the future"
        : occurred < birthDate ? "must not be before the resident's birth date"
        : null;
}
