using System.Text;

namespace Medins.IdentityRegistry.Domain;

/// <summary>Meishan's four ledgers (四本台账, seed 003 六（二）) and Lidu's refusal list.</summary>
public enum LedgerKind
{
    RegisteredNotEnrolled,
    ResidentPopulationNotEnrolled,
    EnrolledLastYearNotThisYear,
    SpecialIdentitiesNotEnrolled,
    Refused,
}

/// <summary>CSV text of a ledger: RFC 4180 quoting, one header row.</summary>
public static class LedgerCsv
{
    public const string Header =
        "resident_id,national_id,name,village_code,household_number,registration_type,phone,identity_categories,refusal_reason,refusal_signed_by\r\n";

    public static void AppendRow(StringBuilder csv, IReadOnlyList<string> fields)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0) csv.Append(',');
            var field = fields[i];
            // Quote what would break the row, and what a spreadsheet would run as a formula.
            if (field.IndexOfAny([',', '"', '\r', '\n']) >= 0 || (field.Length > 0 && field[0] is '=' or '+' or '-' or '@'))
                csv.Append('"').Append((field.Length > 0 && field[0] is '=' or '+' or '-' or '@' ? "'" : "") + field.Replace("\"", "\"\"")).Append('"');
            else csv.Append(field);
        }
        csv.Append("\r\n");
    }
}
