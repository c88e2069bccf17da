using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Google.Protobuf.Reflection;
using Medins.Gateway.Reflection;

namespace Medins.Gateway.Tests;

/// <summary>
/// `./platform contracts`: the one file a county team builds stubs from. Complete means protoc compiles every proto
/// in it with nothing but the artefact on its include path, and it holds every contract the gateway serves.
/// </summary>
public sealed partial class ContractsArtefactTests
{
    [Fact]
    public async Task PlatformContracts_Unpacked_EveryProtoCompilesWithImportsFromTheArtefactAlone()
    {
        var root = RepositoryRoot();
        var (exit, output, errors) = await RunAsync("bash", [Path.Combine(root, "platform"), "contracts"], root);
        Assert.True(exit == 0, $"./platform contracts failed ({exit}):\n{errors}");
        var zip = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim();
        Assert.StartsWith(Path.Combine(root, ".local", "medins-contracts-"), zip);

        var unpacked = Directory.CreateTempSubdirectory("medins-contracts-");
        try
        {
            ZipFile.ExtractToDirectory(zip, unpacked.FullName);
            var protos = Directory.GetFiles(unpacked.FullName, "*.proto", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(unpacked.FullName, f).Replace('\\', '/')).Order().ToList();

            // Every contract of the repository is in it, with google/rpc's errors.
            var ours = Directory.GetFiles(Path.Combine(root, "protos", "medins"), "*.proto", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(Path.Combine(root, "protos"), f).Replace('\\', '/'));
            Assert.All(ours, f => Assert.Contains(f, protos));
            Assert.Contains("google/rpc/error_details.proto", protos);

            // Only the artefact on the include path: an import it lacks fails the compile.
            var checkedSet = Path.Combine(unpacked.FullName, "check.binpb");
            var (compiled, _, compileErrors) = await RunAsync(Protoc(root),
                ["-I", unpacked.FullName, "--include_imports", "-o", checkedSet, .. protos], unpacked.FullName);
            Assert.True(compiled == 0, $"protoc could not compile the artefact alone:\n{compileErrors}");
            Assert.Equal(protos.Count, FileDescriptorSet.Parser.ParseFrom(File.ReadAllBytes(checkedSet)).File.Count);

            // The descriptor set it ships describes every service the gateway offers by reflection.
            var shipped = FileDescriptorSet.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(unpacked.FullName, "medins.binpb")));
            var services = shipped.File.SelectMany(f => f.Service.Select(s => $"{f.Package}.{s.Name}")).ToList();
            Assert.All(ContractReflection.ServiceNames, s => Assert.Contains(s, services));
            Assert.Equal(protos.Order(), shipped.File.Select(f => f.Name).Order());
        }
        finally
        {
            unpacked.Delete(recursive: true);
        }
    }

    private static string Protoc(string root)
    {
        var props = File.ReadAllText(Path.Combine(root, "Directory.Packages.props"));
        var version = ToolsVersion().Match(props).Groups[1].Value;
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(packages, "grpc.tools", version, "tools", "linux_x64", "protoc");
    }

    [GeneratedRegex("Include=\"Grpc.Tools\" Version=\"([^\"]+)\"")]
    private static partial Regex ToolsVersion();

    private static async Task<(int Exit, string Output, string Errors)> RunAsync(string file, IEnumerable<string> arguments, string directory)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Platform.sln not found above the test assembly.");
    }
}
