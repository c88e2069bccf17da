using Medins.Migrator;

namespace Medins.QuotaTracking.Tests;

/// <summary>The quota rules documents exactly as the migrator ships them.</summary>
internal static class ShippedRules
{
    public static IEnumerable<string> Names =>
        typeof(PlatformMigrator).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(DemoQuotaRules.ResourcePrefix, StringComparison.Ordinal))
            .Select(n => n[DemoQuotaRules.ResourcePrefix.Length..^".jsonc".Length]);

    public static string Text(string name)
    {
        using var stream = typeof(PlatformMigrator).Assembly.GetManifestResourceStream($"{DemoQuotaRules.ResourcePrefix}{name}.jsonc")
            ?? throw new ArgumentException($"No shipped quota rules named {name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
