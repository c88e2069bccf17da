using Medins.Platform.Hosting.Data;
using Medins.Platform.Hosting.Messaging;
using Npgsql;

namespace Medins.Migrator;

/// <summary>
/// <c>dead-letters list [--schema S] [--replayed]</c> and
/// <c>dead-letters replay (EVENT-ID | --all) --reason TEXT [--schema S] [--target APP-ID] [--actor NAME]</c>:
/// an operator's view of the events given up on (by the local relay, or by Dapr into the dead-letter topic), and their
/// audited replay (delivered once more).
/// </summary>
public static class DeadLetterCommand
{
    public const string Name = "dead-letters";

    public static async Task<int> RunAsync(string ownerConnection, IReadOnlyList<string> args, TextWriter output, TextWriter error,
        CancellationToken ct = default)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var positional = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is "--all" or "--replayed") options[args[i]] = "true";
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Count) options[args[i]] = args[++i];
            else positional.Add(args[i]);
        }
        var verb = positional.ElementAtOrDefault(0);
        var schemas = options.TryGetValue("--schema", out var only)
            ? PlatformMigrator.Services.Where(s => s.Schema == only || s.AppId == only).ToList()
            : PlatformMigrator.Services.ToList();
        if (schemas.Count == 0)
        {
            await error.WriteLineAsync($"Unknown schema '{only}'.");
            return 2;
        }

        Guid? eventId = null;
        if (verb == "replay")
        {
            if (!options.ContainsKey("--all"))
            {
                if (!Guid.TryParse(positional.ElementAtOrDefault(1), out var id))
                {
                    await error.WriteLineAsync("replay needs an event id or --all.");
                    return 2;
                }
                eventId = id;
            }
            if (!options.TryGetValue("--reason", out var reason) || string.IsNullOrWhiteSpace(reason))
            {
                await error.WriteLineAsync("replay needs --reason (it is recorded with who replayed what).");
                return 2;
            }
        }
        else if (verb != "list")
        {
            await error.WriteLineAsync("usage: dead-letters list [--schema S] [--replayed] | dead-letters replay (EVENT-ID | --all) --reason TEXT [--schema S] [--target APP-ID] [--actor NAME]");
            return 2;
        }

        var actor = options.GetValueOrDefault("--actor") ?? Environment.UserName;
        var total = 0;
        foreach (var schema in schemas)
        {
            var builder = new NpgsqlConnectionStringBuilder(ownerConnection) { SearchPath = schema.Schema };
            await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
            var deadLetters = new DeadLetters(new PlatformDatabase(source, TimeProvider.System), TimeProvider.System);
            var rows = verb == "list"
                ? await deadLetters.ListAsync(options.ContainsKey("--replayed"), ct)
                : await deadLetters.ReplayAsync(eventId, options.GetValueOrDefault("--target"), actor, options["--reason"], ct);
            foreach (var row in rows)
                await output.WriteLineAsync(string.Join('\t', schema.Schema, row.TenantId, row.EventId, row.Topic, row.Target,
                    row.Attempts, row.DeadAt.ToString("O"), row.ReplayedAt?.ToString("O") ?? "-", row.LastError ?? ""));
            total += rows.Count;
        }
        await error.WriteLineAsync(verb == "list" ? $"{total} dead letters" : $"{total} deliveries reset for replay by {actor}");
        return 0;
    }
}
