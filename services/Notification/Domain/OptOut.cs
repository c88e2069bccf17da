namespace Medins.Notification.Domain;

/// <summary>Opt-out scopes as stored.</summary>
public static class OptOut
{
    public const string None = "NONE";
    public const string Reminders = "REMINDERS";
    public const string All = "ALL";

    /// <summary>Whether a person who chose <paramref name="scope"/> must not get a message of this key.</summary>
    public static bool Excludes(string scope, string templateKey) =>
        scope == All || (scope == Reminders && TemplateKeys.IsReminder(templateKey));
}
