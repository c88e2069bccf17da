using System.Text.Json;
using System.Text.Json.Nodes;

namespace Medins.ContributionCalculation.Data;

/// <summary>Policy documents are JSON with comments: stored verbatim as text, and as plain JSON for SQL queries.</summary>
public static class PolicyDocumentText
{
    private static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The document without its comments, for the jsonb column.</summary>
    public static string ToPlainJson(string documentText) =>
        (JsonNode.Parse(documentText, documentOptions: Options) ?? throw new JsonException("The document is JSON null."))
        .ToJsonString();
}
