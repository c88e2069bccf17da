using System.Reflection;
using System.Text.RegularExpressions;

namespace Medins.Platform.Hosting.Data;

/// <summary>One numbered SQL file of a service schema, such as <c>0002_residents.sql</c>.</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    private static readonly Regex FileName = new(@"^(?<version>\d{4})_(?<name>[a-z0-9_]+)\.sql$", RegexOptions.Compiled);

    /// <summary>The shared platform migrations (outbox, inbox, request log, audit) every schema starts with.</summary>
    public static IReadOnlyList<Migration> Platform { get; } = FromAssembly(typeof(Migration).Assembly, "platform/");

    /// <summary>Reads the embedded resources named <c>{prefix}NNNN_name.sql</c>, ordered by version.</summary>
    public static IReadOnlyList<Migration> FromAssembly(Assembly assembly, string prefix)
    {
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var file = resource[prefix.Length..];
            var match = FileName.Match(file);
            if (!match.Success)
                throw new InvalidOperationException($"Migration '{resource}' is not named NNNN_name.sql.");
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(int.Parse(match.Groups["version"].Value), match.Groups["name"].Value, reader.ReadToEnd()));
        }
        return migrations.OrderBy(m => m.Version).ToList();
    }

    /// <summary>The platform migrations followed by a service's own; versions must not collide.</summary>
    public static IReadOnlyList<Migration> ForService(Assembly assembly, string prefix = "migrations/")
    {
        var all = Platform.Concat(FromAssembly(assembly, prefix)).OrderBy(m => m.Version).ToList();
        var clash = all.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
            throw new InvalidOperationException($"Migration version {clash.Key:D4} is used twice: {string.Join(", ", clash.Select(m => m.Name))}.");
        return all;
    }
}
