using Google.Protobuf.Reflection;
using Medins.Auth.V1;

namespace Medins.Security.Tests;

/// <summary>Every RPC of the platform's contracts with the role it declares, read from the compiled descriptors.</summary>
public static class PlatformContracts
{
    public sealed record Rpc(ServiceDescriptor Service, MethodDescriptor Method, Role Role)
    {
        public string FullName => $"/{Service.FullName}/{Method.Name}";

        public string RoleName => Role switch
        {
            Role.Read => "read",
            Role.Collect => "collect",
            Role.Manage => "manage",
            Role.Audit => "audit",
            _ => "",
        };

        /// <summary>Collect and manage change state; read and audit only look.</summary>
        public bool Mutating => Role is Role.Collect or Role.Manage;

        public override string ToString() => FullName;
    }

    /// <summary>Every service of every medins.* file in the contracts assembly (so a new service is covered too).</summary>
    public static IReadOnlyList<ServiceDescriptor> Services { get; } = typeof(AccessReflection).Assembly.GetTypes()
        .Select(t => t.GetProperty("Descriptor", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
        .Where(p => p?.PropertyType == typeof(FileDescriptor))
        .Select(p => (FileDescriptor)p!.GetValue(null)!)
        .Where(f => f.Package.StartsWith("medins.", StringComparison.Ordinal))
        .SelectMany(f => f.Services)
        .OrderBy(s => s.FullName, StringComparer.Ordinal)
        .ToList();

    public static IReadOnlyList<Rpc> Rpcs { get; } = Services
        .SelectMany(s => s.Methods.Select(m => new Rpc(s, m, m.GetOptions()?.GetExtension(AccessExtensions.RequiredRole) ?? Role.Unspecified)))
        .ToList();

    /// <summary>The repository's root (where Platform.sln is), found from the test's output folder.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) return dir.FullName;
        throw new InvalidOperationException("Platform.sln not found above the test's output folder.");
    }
}
