namespace Medins.IdentityRegistry.Domain;

/// <summary>The departments that certify subsidised identities (docs/domain.md, "Identity sources").</summary>
public enum Department
{
    CivilAffairs,
    RuralRevitalisation,
    Health,
    DisabledPersonsFederation,
    VeteransAffairs,
    NaturalResources,
    Education,
}

public static class Departments
{
    private static readonly (Department Department, string Code, string Name)[] All =
    [
        (Department.CivilAffairs, "civil_affairs", "民政"),
        (Department.RuralRevitalisation, "rural_revitalisation", "乡村振兴"),
        (Department.Health, "health", "卫健"),
        (Department.DisabledPersonsFederation, "disabled_persons_federation", "残联"),
        (Department.VeteransAffairs, "veterans_affairs", "退役军人"),
        (Department.NaturalResources, "natural_resources", "规划自然资源"),
        (Department.Education, "education", "教育"),
    ];

    /// <summary>The stored text (<c>civil_affairs</c>).</summary>
    public static string Code(Department department) => All.First(d => d.Department == department).Code;

    public static Department Parse(string code) =>
        TryParse(code) ?? throw new InvalidOperationException($"Unknown department '{code}'.");

    /// <summary>Accepts the stored code or the short Chinese name department lists are headed with (民政).</summary>
    public static Department? TryParse(string? text)
    {
        var trimmed = text?.Trim() ?? "";
        foreach (var d in All)
            if (string.Equals(trimmed, d.Code, StringComparison.OrdinalIgnoreCase) || trimmed == d.Name) return d.Department;
        return null;
    }
}

/// <summary>A tenant's local identity code and what it means; <see cref="ImportStep"/> is its place in the import order.</summary>
public sealed record IdentityCode(string LocalCode, string Category, Department Department, int? ImportStep);

/// <summary>One row of a department list, as read from the stream or CSV; null fields were absent.</summary>
public sealed record IdentityImportLine(int RowNumber, string NationalId, string LocalCode, string Category,
    Department? Department, DateOnly? ValidFrom, DateOnly? ValidTo, string? Malformed = null);

/// <summary>Why a row of a department list was not imported; <see cref="Description"/> never repeats the ID number.</summary>
public sealed record RowRejection(RowProblem Reason, string Description);

/// <summary>A row that passed every check but the resident lookup.</summary>
public sealed record CheckedIdentityLine(IdentityImportLine Line, NationalId NationalId, IdentityCode Code);

/// <summary>Why a row was rejected; the contract sends each as the identity ErrorReason of the same name.</summary>
public enum RowProblem
{
    MalformedRow,
    InvalidNationalId,
    MissingCode,
    UnknownCode,
    MissingDepartment,
    DepartmentMismatch,
    InvalidValidity,
    ResidentNotFound,
    DuplicateRow,
}

/// <summary>How department lists are checked against a tenant's vocabulary, and which identity stands.</summary>
public static class IdentityImportRules
{
    /// <summary>Checks one row; the vocabulary is keyed by local code. Returns either the checked row or why not.</summary>
    public static (CheckedIdentityLine? Checked, RowRejection? Rejection) Check(IdentityImportLine line,
        IReadOnlyDictionary<string, IdentityCode> vocabulary, DateOnly today)
    {
        if (line.Malformed is not null) return Reject(RowProblem.MalformedRow, line.Malformed);
        var idError = Domain.NationalId.TryParse(line.NationalId, today, out var nationalId);
        if (idError != NationalIdError.None)
            return Reject(RowProblem.InvalidNationalId, "national_id " + Domain.NationalId.Describe(idError));

        var localCode = line.LocalCode.Trim();
        var category = line.Category.Trim();
        IdentityCode? code;
        if (localCode.Length > 0)
        {
            if (!vocabulary.TryGetValue(localCode, out code))
                return Reject(RowProblem.UnknownCode, $"local code '{localCode}' is not in this tenant's identity vocabulary");
            if (category.Length > 0 && category != code.Category)
                return Reject(RowProblem.UnknownCode, $"local code '{localCode}' means '{code.Category}', not '{category}'");
        }
        else if (category.Length > 0)
        {
            // A category alone is taken when the tenant knows it; its import step is that of its (first) code.
            code = vocabulary.Values.Where(c => c.Category == category).OrderBy(c => c.LocalCode, StringComparer.Ordinal).FirstOrDefault();
            if (code is null)
                return Reject(RowProblem.UnknownCode, $"category '{category}' is not in this tenant's identity vocabulary");
            code = code with { LocalCode = "" };
        }
        else return Reject(RowProblem.MissingCode, "a local code or a category is required");

        if (line.Department is not { } department)
            return Reject(RowProblem.MissingDepartment, "the certifying department is required");
        if (department != code.Department)
            return Reject(RowProblem.DepartmentMismatch,
                $"'{code.Category}' is certified by {Departments.Code(code.Department)}, not {Departments.Code(department)}");
        if (line.ValidFrom is not { } from)
            return Reject(RowProblem.InvalidValidity, "valid_from is required");
        if (line.ValidTo is { } to && to < from)
            return Reject(RowProblem.InvalidValidity, "valid_to is before valid_from");
        return (new CheckedIdentityLine(line, nationalId, code), null);
    }

    private static (CheckedIdentityLine?, RowRejection?) Reject(RowProblem reason, string description) => (null, new RowRejection(reason, description));

    /// <summary>Whether an identity is in force on <paramref name="day"/> (not revoked is checked by the caller).</summary>
    public static bool IsValidOn(DateOnly validFrom, DateOnly? validTo, DateOnly day) => validFrom <= day && (validTo is null || validTo >= day);

    /// <summary>
    /// Under an import order (Meishan 导盘顺序) the identity of the latest step stands; identities of the same step, or
    /// of a tenant without an import order, all stand and the policy picks the highest subsidy (docs/domain.md, "Subsidised identities").
    /// </summary>
    public static bool Prevails(int? importStep, IEnumerable<int?> currentSteps)
    {
        if (importStep is not { } step) return true;
        return currentSteps.All(other => other is not { } o || o <= step);
    }
}
