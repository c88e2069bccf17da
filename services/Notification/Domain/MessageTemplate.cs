using System.Globalization;
using System.Text.RegularExpressions;

namespace Medins.Notification.Domain;

/// <summary>A template names a value the event does not carry; rendering it would send a broken message.</summary>
public sealed class TemplateRenderException(IReadOnlyList<string> missing)
    : Exception("The template uses placeholders with no value: " + string.Join(", ", missing))
{
    public IReadOnlyList<string> Missing { get; } = missing;
}

/// <summary>Renders a tenant's template body: each <c>{name}</c> is replaced by its value, all or nothing.</summary>
public static partial class MessageTemplate
{
    [GeneratedRegex(@"\{(?<name>[a-z][a-z0-9_]*)\}")]
    private static partial Regex Placeholder();

    // GB 11643 citizen ID shape (17 digits and a digit or X), not part of a longer code.
    [GeneratedRegex(@"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")]
    private static partial Regex IdNumber();

    public static string Render(string body, IReadOnlyDictionary<string, string> values)
    {
        var missing = Placeholder().Matches(body).Select(m => m.Groups["name"].Value)
            .Where(name => !values.ContainsKey(name)).Distinct().ToList();
        if (missing.Count > 0) throw new TemplateRenderException(missing);
        var rendered = Placeholder().Replace(body, m => values[m.Groups["name"].Value]);
        // No value offered to templates is an ID number, but a template's own text could hold one: messages
        // leave the platform, so an ID-shaped run is blanked rather than trusted.
        return ScrubIdNumbers(rendered);
    }

    /// <summary>Blanks every ID-number-shaped run: nothing that leaves the platform may carry one.</summary>
    public static string ScrubIdNumbers(string text) => IdNumber().Replace(text, m => new string('*', m.Length));

    /// <summary>Whether the text holds an ID-number-shaped run (templates with one are refused at publication).</summary>
    public static bool ContainsIdNumber(string text) => IdNumber().IsMatch(text);

    /// <summary>The placeholder names a body uses, in order of first use.</summary>
    public static IReadOnlyList<string> PlaceholdersIn(string body) =>
        Placeholder().Matches(body).Select(m => m.Groups["name"].Value).Distinct().ToList();

    /// <summary>Fen as yuan with two decimals (38000 → "380.00"), in integer arithmetic.</summary>
    public static string Yuan(long fen) => Medins.Platform.Hosting.ClerkText.YuanNumber(fen);

    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    /// <summary>The Asia/Shanghai calendar date of an instant.</summary>
    public static DateOnly ShanghaiDate(DateTimeOffset instant) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Shanghai).DateTime);
}

/// <summary>The values each kind of message offers its template; a template may use any subset of them.</summary>
public static class MessageValues
{
    public static Dictionary<string, string> Payment(int coverageYear, long personalFen, DateOnly? benefitStart, DateOnly? benefitEnd,
        string receiptNumber = "")
    {
        var values = new Dictionary<string, string>
        {
            ["coverage_year"] = coverageYear.ToString(CultureInfo.InvariantCulture),
            ["amount_yuan"] = MessageTemplate.Yuan(personalFen),
        };
        if (receiptNumber.Length > 0) values["receipt_number"] = receiptNumber;
        // Absent dates stay absent, so a template needing them refuses to render instead of printing blanks.
        if (benefitStart is { } start) values["benefit_start"] = MessageTemplate.Date(start);
        if (benefitEnd is { } end) values["benefit_end"] = MessageTemplate.Date(end);
        return values;
    }

    public static Dictionary<string, string> Refund(int coverageYear, long refundedFen, DateTimeOffset? refundTime)
    {
        var values = new Dictionary<string, string>
        {
            ["coverage_year"] = coverageYear.ToString(CultureInfo.InvariantCulture),
            ["amount_yuan"] = MessageTemplate.Yuan(refundedFen),
        };
        if (refundTime is { } time) values["refund_date"] = MessageTemplate.Date(MessageTemplate.ShanghaiDate(time));
        return values;
    }

    public static Dictionary<string, string> Reminder(string name, int coverageYear, DateOnly deadline) => new()
    {
        ["name"] = name,
        ["coverage_year"] = coverageYear.ToString(CultureInfo.InvariantCulture),
        ["deadline"] = MessageTemplate.Date(deadline),
    };

    /// <summary>Basis points as a percentage with two decimals (9550 → "95.50%").</summary>
    public static string Percent(int basisPoints)
    {
        var sign = basisPoints < 0 ? "-" : "";
        var magnitude = Math.Abs((long)basisPoints);
        return string.Create(CultureInfo.InvariantCulture, $"{sign}{magnitude / 100}.{magnitude % 100:00}%");
    }

    public static string Count(long count) => count.ToString(CultureInfo.InvariantCulture);
}
