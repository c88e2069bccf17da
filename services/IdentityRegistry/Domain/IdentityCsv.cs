using System.Globalization;
using System.Text;

namespace Medins.IdentityRegistry.Domain;

/// <summary>
/// Reads a department list as CSV (RFC 4180 quoting): a header row naming the columns national_id, local_code,
/// category, department, valid_from, valid_to (any order; local_code or category may be absent), then one row per
/// identity. Data rows are numbered from 1; blank lines are skipped and not counted.
/// </summary>
public static class IdentityCsv
{
    public static readonly string[] Columns = ["national_id", "local_code", "category", "department", "valid_from", "valid_to"];

    /// <summary>The rows, or a description of what is wrong with the header.</summary>
    public static (List<IdentityImportLine> Lines, string? HeaderProblem) Parse(string text)
    {
        var records = ReadRecords(text).Where(r => !(r.Count == 1 && r[0].Trim().Length == 0)).ToList();
        if (records.Count == 0) return ([], "the CSV text has no header row");
        var header = records[0].Select(h => h.Trim().TrimStart('\uFEFF').ToLowerInvariant()).ToList();
        var unknown = header.Where(h => !Columns.Contains(h)).ToList();
        if (unknown.Count > 0) return ([], $"unknown column(s) {string.Join(", ", unknown)}; expected {string.Join(",", Columns)}");
        if (header.Distinct().Count() != header.Count) return ([], "a column is named twice");
        foreach (var required in new[] { "national_id", "department", "valid_from" })
            if (!header.Contains(required)) return ([], $"column {required} is missing");
        if (!header.Contains("local_code") && !header.Contains("category")) return ([], "column local_code or category is required");

        var lines = new List<IdentityImportLine>(records.Count - 1);
        for (var i = 1; i < records.Count; i++)
        {
            var record = records[i];
            var row = i;
            if (record.Count != header.Count)
            {
                lines.Add(new IdentityImportLine(row, "", "", "", null, null, null,
                    $"has {record.Count} fields, the header has {header.Count}"));
                continue;
            }
            string Field(string name) => header.IndexOf(name) is var at and >= 0 ? record[at].Trim() : "";
            string? malformed = null;
            var departmentText = Field("department");
            var department = Departments.TryParse(departmentText);
            if (department is null && departmentText.Length > 0) malformed = $"department '{departmentText}' is not a known department";
            var validFrom = ParseDate(Field("valid_from"), "valid_from", ref malformed);
            var validTo = ParseDate(Field("valid_to"), "valid_to", ref malformed);
            lines.Add(new IdentityImportLine(row, Field("national_id"), Field("local_code"), Field("category"), department,
                validFrom, validTo, malformed));
        }
        return (lines, null);
    }

    private static DateOnly? ParseDate(string text, string field, ref string? malformed)
    {
        if (text.Length == 0) return null;
        if (DateOnly.TryParseExact(text, ["yyyy-MM-dd", "yyyy/M/d", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return date;
        malformed ??= $"{field} '{text}' is not a date (yyyy-MM-dd)";
        return null;
    }

    private static IEnumerable<List<string>> ReadRecords(string text)
    {
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"' && field.Length == 0) quoted = true;
            else if (c == ',') { record.Add(field.ToString()); field.Clear(); }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                record.Add(field.ToString());
                field.Clear();
                yield return record;
                record = [];
            }
            else field.Append(c);
        }
        if (field.Length > 0 || record.Count > 0)
        {
            record.Add(field.ToString());
            yield return record;
        }
    }
}
