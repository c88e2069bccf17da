using System.Text.RegularExpressions;

namespace Medins.Platform.Hosting.Tests.Architecture;

/// <summary>
/// No dependency cycle between the top-level folders of a service: arrows run one way (transport → application →
/// domain and data). A folder depends on another when one of its files names a type declared only there (comments
/// and string literals are left out, so SQL and doc references do not count). Files at the project root are one
/// node, except the composition roots (Program.cs and the root's <c>*Registration.cs</c> / <c>*Extensions.cs</c>), which
/// wire every folder into the host by design.
/// </summary>
public sealed partial class FolderDependencyTests
{
    public static TheoryData<string> Projects() =>
    [
        "services/IdentityRegistry", "services/ContributionCalculation", "services/PaymentCollection",
        "services/QuotaTracking", "services/Notification", "services/Migrator", "services/Platform.Hosting", "gateway/Gateway",
    ];

    [Theory]
    [MemberData(nameof(Projects))]
    public void Project_TopLevelFolders_NoDependencyCycle(string project)
    {
        var root = Path.Combine(RepositoryRoot(), project);
        var sources = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(root, file).Replace('\\', '/'))
            .Where(path => !path.StartsWith("obj/", StringComparison.Ordinal) && !path.StartsWith("bin/", StringComparison.Ordinal))
            .ToDictionary(path => path, path => File.ReadAllText(Path.Combine(root, path)));
        Assert.NotEmpty(sources);

        var cycles = FolderGraph.Build(sources).Cycles();

        Assert.True(cycles.Count == 0, $"{project} has folder cycles:\n" + string.Join("\n", cycles));
    }

    [Fact]
    public void FolderGraph_TwoFoldersUsingEachOther_ReportsTheCycleWithItsEvidence()
    {
        var cycles = FolderGraph.Build(new Dictionary<string, string>
        {
            ["Grpc/Handler.cs"] = "class Handler { Book book; }",
            ["Payments/Book.cs"] = "class Book { // Handler in a comment is no use\n string s = \"Handler\"; Mapper m; }",
            ["Grpc/Mapper.cs"] = "static class Mapper { }",
            ["Domain/Order.cs"] = "record Order(int Fen);",
            ["Program.cs"] = "var h = new Handler(); Order o;",
        }).Cycles();

        var cycle = Assert.Single(cycles);
        Assert.Contains("Grpc/Handler.cs uses Book (Payments)", cycle);
        Assert.Contains("Payments/Book.cs uses Mapper (Grpc)", cycle);
    }

    [Fact]
    public void FolderGraph_ArrowsOneWay_NoCycle()
    {
        var cycles = FolderGraph.Build(new Dictionary<string, string>
        {
            ["Grpc/Handler.cs"] = "class Handler { Book book; Order order; }",
            ["Payments/Book.cs"] = "class Book { /* Handler */ Order order; }",
            ["Domain/Order.cs"] = "record Order(int Fen);",
        }).Cycles();

        Assert.Empty(cycles);
    }

    internal sealed partial class FolderGraph
    {
        private const string RootNode = "(root)";
        private readonly Dictionary<string, Dictionary<string, (string File, string Type)>> _edges = [];

        public static FolderGraph Build(IReadOnlyDictionary<string, string> sources)
        {
            var code = sources.Where(s => !IsCompositionRoot(s.Key)).ToDictionary(s => s.Key, s => StripCommentsAndStrings(s.Value));
            // Where each type is declared; a name declared in two folders is ambiguous and counts for neither.
            var declaredIn = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var (path, text) in code)
                foreach (Match m in Declaration().Matches(text))
                {
                    var name = m.Groups["name"].Value;
                    var folder = FolderOf(path);
                    declaredIn[name] = declaredIn.TryGetValue(name, out var seen) && seen != folder ? null : folder;
                }

            var graph = new FolderGraph();
            foreach (var (path, text) in code.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                var from = FolderOf(path);
                // A property named like a type of another folder (TenantContext.Roles) is the file's own member.
                var ownProperties = Property().Matches(text).Select(p => p.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
                foreach (Match m in Identifier().Matches(text))
                {
                    if (ownProperties.Contains(m.Value)) continue;
                    if (!declaredIn.TryGetValue(m.Value, out var to) || to is null || to == from) continue;
                    var targets = graph._edges.TryGetValue(from, out var t) ? t : graph._edges[from] = [];
                    targets.TryAdd(to, (path, m.Value));
                }
            }
            return graph;
        }

        /// <summary>Every strongly connected set of folders, with one use per arrow inside it as evidence.</summary>
        public List<string> Cycles()
        {
            var index = 0;
            var indices = new Dictionary<string, int>();
            var lowLinks = new Dictionary<string, int>();
            var stack = new Stack<string>();
            var onStack = new HashSet<string>();
            var components = new List<List<string>>();

            void Connect(string node)
            {
                indices[node] = lowLinks[node] = index++;
                stack.Push(node);
                onStack.Add(node);
                foreach (var next in _edges.TryGetValue(node, out var t) ? t.Keys.ToList() : [])
                {
                    if (!indices.ContainsKey(next))
                    {
                        Connect(next);
                        lowLinks[node] = Math.Min(lowLinks[node], lowLinks[next]);
                    }
                    else if (onStack.Contains(next)) lowLinks[node] = Math.Min(lowLinks[node], indices[next]);
                }
                if (lowLinks[node] != indices[node]) return;
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                } while (member != node);
                if (component.Count > 1) components.Add(component);
            }

            foreach (var node in _edges.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList())
                if (!indices.ContainsKey(node)) Connect(node);

            return components.Select(component =>
            {
                var members = component.ToHashSet();
                var evidence = component.OrderBy(c => c, StringComparer.Ordinal)
                    .SelectMany(from => _edges[from].Where(e => members.Contains(e.Key))
                        .Select(e => $"    {e.Value.File} uses {e.Value.Type} ({e.Key})"));
                return $"  {{{string.Join(", ", component.OrderBy(c => c, StringComparer.Ordinal))}}}:\n" + string.Join("\n", evidence);
            }).ToList();
        }

        private static bool IsCompositionRoot(string path) =>
            !path.Contains('/') && (path == "Program.cs" || path.EndsWith("Registration.cs", StringComparison.Ordinal)
                                    || path.EndsWith("Extensions.cs", StringComparison.Ordinal));

        private static string FolderOf(string path) => path.IndexOf('/') is var slash and > 0 ? path[..slash] : RootNode;

        private static string StripCommentsAndStrings(string source) => CommentOrString().Replace(source, " ");

        // Raw strings, verbatim and interpolated strings, plain strings, char literals, line and block comments.
        [GeneratedRegex("\"\"\"[\\s\\S]*?\"\"\"|@\"(?:[^\"]|\"\")*\"|\\$?\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)'|//[^\\n]*|/\\*[\\s\\S]*?\\*/")]
        private static partial Regex CommentOrString();

        [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+(?:class\s+|struct\s+)?(?<name>[A-Z]\w*)")]
        private static partial Regex Declaration();

        [GeneratedRegex(@"\b(?<name>[A-Z]\w*)\s*\{\s*(?:get|init|set)\b")]
        private static partial Regex Property();

        [GeneratedRegex(@"\b[A-Z]\w*\b")]
        private static partial Regex Identifier();
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Platform.sln not found above the test's folder.");
    }
}
