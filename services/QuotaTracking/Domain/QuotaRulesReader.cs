using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Medins.QuotaTracking.Domain;

/// <summary>A problem with a quota rules document, at its JSON path.</summary>
public sealed record RuleError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

public sealed class QuotaRulesException(IReadOnlyList<RuleError> errors)
    : Exception("The quota rules are invalid: " + string.Join("; ", errors))
{
    public IReadOnlyList<RuleError> Errors { get; } = errors;
}

/// <summary>
/// Reads a quota rules document (JSON with // comments and trailing commas): unknown fields, missing required
/// fields and wrong types are refused with their JSON path, then the rules' own consistency is checked.
/// </summary>
public static partial class QuotaRulesReader
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex Slug();

    /// <summary>The rules, or <see cref="QuotaRulesException"/> listing every problem found.</summary>
    public static QuotaRules Read(string document)
    {
        QuotaRules? rules;
        try
        {
            rules = JsonSerializer.Deserialize<QuotaRules>(document, Json);
        }
        catch (JsonException ex)
        {
            throw new QuotaRulesException([new RuleError(ex.Path ?? "$", FirstLine(ex.Message))]);
        }
        if (rules is null) throw new QuotaRulesException([new RuleError("$", "the document is empty")]);
        var errors = Validate(rules);
        return errors.Count == 0 ? rules : throw new QuotaRulesException(errors);
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    private static List<RuleError> Validate(QuotaRules rules)
    {
        var errors = new List<RuleError>();
        void Check(bool ok, string path, string message)
        {
            if (!ok) errors.Add(new RuleError(path, message));
        }

        Check(rules.FormatVersion == 1, "$.formatVersion", "must be 1");
        Check(rules.Name.Trim().Length > 0, "$.name", "must not be empty");
        Check(rules.AppliesTo.Count > 0, "$.appliesTo", "must name at least one tenant");
        for (var i = 0; i < rules.AppliesTo.Count; i++)
            Check(Slug().IsMatch(rules.AppliesTo[i]), $"$.appliesTo[{i}]", "must be a tenant id such as cq-linjiang");
        Check(rules.CoverageYear is >= 2000 and <= 2100, "$.coverageYear", "must be a year such as 2024");

        var campaign = rules.Campaign;
        Check(campaign.Opens <= campaign.Closes, "$.campaign.closes", "must not be before opens");
        if (campaign.ReductionsUntil is { } until)
        {
            Check(until >= campaign.Opens, "$.campaign.reductionsUntil", "must not be before opens");
            Check(campaign.ReductionsSource is not null, "$.campaign.reductionsSource",
                "is required with reductionsUntil: \"seed\" when the plan states reductions, else \"bureau\"");
        }
        else
            Check(campaign.ReductionsSource is null, "$.campaign.reductionsSource", "is only allowed with reductionsUntil");

        Check(rules.Targets.RateBp is > 0 and <= (int)Rate.Whole, "$.targets.rateBp", "must be 1 to 10000 basis points");

        var ids = new HashSet<string>();
        for (var i = 0; i < rules.KeyGroups.Count; i++)
        {
            var group = rules.KeyGroups[i];
            var path = $"$.keyGroups[{i}]";
            Check(Slug().IsMatch(group.Id), path + ".id", "must be lower-case words joined by hyphens");
            Check(ids.Add(group.Id), path + ".id", $"'{group.Id}' is listed twice");
            Check(group.TargetRateBp is > 0 and <= (int)Rate.Whole, path + ".targetRateBp", "must be 1 to 10000 basis points");
            Check(group.Categories.Count + group.PersonGroups.Count > 0, path, "must name categories or person groups its members come from");
        }

        if (rules.Progress is { } progress)
        {
            Check(progress.Stages.Count > 0, "$.progress.stages", "must list at least one stage");
            for (var i = 0; i < progress.Stages.Count; i++)
            {
                Check(progress.Stages[i].RateBp is >= 0 and <= 2 * (int)Rate.Whole, $"$.progress.stages[{i}].rateBp", "must be 0 to 20000 basis points");
                if (i > 0)
                    Check(progress.Stages[i].Date > progress.Stages[i - 1].Date, $"$.progress.stages[{i}].date", "must be after the previous stage's date");
            }
            Check(progress.FirstSnapshot <= progress.LastSnapshot, "$.progress.lastSnapshot", "must not be before firstSnapshot");
            var ranked = progress.RankingEveryWeeks is not null || progress.FirstRanking is not null || progress.RankingSource is not null;
            if (ranked)
            {
                Check(progress.RankingEveryWeeks is >= 1 and <= 52, "$.progress.rankingEveryWeeks", "must be 1 to 52");
                Check(progress.FirstRanking is { } first && first >= progress.FirstSnapshot && first <= progress.LastSnapshot
                      && (first.DayNumber - progress.FirstSnapshot.DayNumber) % 7 == 0,
                    "$.progress.firstRanking", "must be a snapshot day (a whole number of weeks after firstSnapshot, not after lastSnapshot)");
                Check(progress.RankingSource is not null, "$.progress.rankingSource",
                    "is required with a ranking cadence: \"seed\" when the plan states it, else \"bureau\"");
            }
        }

        if (rules.Rewards is { } rewards)
        {
            Check(rewards.Bands.Count > 0, "$.rewards.bands", "must list at least one band");
            for (var i = 0; i < rewards.Bands.Count; i++)
            {
                var band = rewards.Bands[i];
                var path = $"$.rewards.bands[{i}]";
                Check(band.From.Bp is >= 0 and <= 2 * (int)Rate.Whole, path + ".from.bp", "must be 0 to 20000 basis points");
                Check(band.FenPerPerson >= 0, path + ".fenPerPerson", "must not be negative");
                Check(band.Label.Trim().Length > 0, path + ".label", "must not be empty");
                if (i > 0)
                    Check(band.From.Bp < rewards.Bands[i - 1].From.Bp, path + ".from.bp", "bands must go from the highest rate down");
            }
            if (rewards.Bands.Count > 0)
                Check(rewards.Bands[^1].From is { Bp: 0, Inclusive: true }, $"$.rewards.bands[{rewards.Bands.Count - 1}].from",
                    "the last band must start at 0 inclusive, so every rate has a band");
        }

        if (rules.Scoring is { } scoring)
        {
            Check(scoring.FullPoints is >= 0 and <= 10_000, "$.scoring.fullPoints", "must be 0 to 10000");
            Check(scoring.FullFrom.Bp is > 0 and <= 2 * (int)Rate.Whole, "$.scoring.fullFrom.bp", "must be 1 to 20000 basis points");
            Check(scoring.ProportionalFrom.Bp >= 0 && scoring.ProportionalFrom.Bp <= scoring.FullFrom.Bp,
                "$.scoring.proportionalFrom.bp", "must be between 0 and fullFrom.bp");
            Check(scoring.ProportionalOfBp > 0 && scoring.ProportionalOfBp <= 2 * (int)Rate.Whole,
                "$.scoring.proportionalOfBp", "must be 1 to 20000 basis points");
            if (scoring.Bonus is { } bonus)
            {
                Check(bonus.StepBp is > 0 and <= (int)Rate.Whole, "$.scoring.bonus.stepBp", "must be 1 to 10000 basis points");
                Check(bonus.PointsPerStep is >= 0 and <= 1000, "$.scoring.bonus.pointsPerStep", "must be 0 to 1000");
            }
        }
        return errors;
    }
}
