using System.Globalization;
using System.Security.Cryptography;
using Medins.Platform.Hosting.Security;

namespace Medins.Migrator;

/// <summary>
/// <c>keys DIR [--rotate ISSUER] [--prune AGE]</c>: the local run's secrets, written once and kept. Per issuer
/// (the gateway and each service) an ES256 key pair: <c>DIR/signing/ISSUER.key</c> (private, PKCS#8) with its key id
/// in <c>ISSUER.kid</c> (<c>ISSUER-yyyyMMdd</c>), and every public key the platform trusts under
/// <c>DIR/trusted/ISSUER/KID.pem</c>. Per service a database password in <c>DIR/db/APPID.password</c>.
/// <c>--rotate</c> gives an issuer a new signing key and keeps its old public key trusted, marked retired;
/// <c>--prune</c> removes retired public keys older than AGE (longer than Auth:MaxLifetime, so no assertion signed
/// with them is still valid). Files are created owner-only (0600, folders 0700).
/// </summary>
public static class KeysCommand
{
    public const string Name = "keys";
    public const string Gateway = "gateway";

    public static IReadOnlyList<string> Issuers { get; } =
        [Gateway, .. PlatformMigrator.Services.Select(s => s.AppId)];

    private const UnixFileMode SecretMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static int Run(string[] args, TimeProvider time, TextWriter output, TextWriter error)
    {
        if (args.Length < 1 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            error.WriteLine("Usage: keys DIR [--rotate ISSUER] [--prune MINUTES]");
            return 2;
        }
        var dir = args[0];
        string? rotate = null;
        TimeSpan? prune = null;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--rotate" && i + 1 < args.Length) rotate = args[++i];
            else if (args[i] == "--prune" && i + 1 < args.Length
                     && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes))
                prune = TimeSpan.FromMinutes(minutes);
            else
            {
                error.WriteLine($"Unknown argument '{args[i]}'.");
                return 2;
            }
        }
        if (rotate is not null && !Issuers.Contains(rotate))
        {
            error.WriteLine($"Unknown issuer '{rotate}': one of {string.Join(", ", Issuers)}.");
            return 2;
        }

        // Each private folder is created on its own: folders created on the way get the usual mode.
        CreateDirectory(dir);
        foreach (var sub in new[] { "signing", "trusted", "db" }) CreateDirectory(Path.Combine(dir, sub));
        foreach (var issuer in Issuers)
        {
            var keyFile = Path.Combine(dir, "signing", issuer + ".key");
            if (!File.Exists(keyFile)) NewSigningKey(dir, issuer, time, output);
            else if (issuer == rotate) Rotate(dir, issuer, time, output);
        }
        foreach (var service in PlatformMigrator.Services)
        {
            var file = Path.Combine(dir, "db", service.AppId + ".password");
            if (File.Exists(file)) continue;
            WriteSecret(file, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));
            output.WriteLine($"{service.AppId}: database password created");
        }
        if (prune is { } age) Prune(dir, age, time, output);
        return 0;
    }

    private static void NewSigningKey(string dir, string issuer, TimeProvider time, TextWriter output)
    {
        var (privatePem, publicPem) = AssertionCodec.GenerateKeyPair();
        var kid = NextKeyId(dir, issuer, time);
        // Trust first: a signer never uses a key its verifiers have not been given.
        WriteSecret(Path.Combine(dir, "trusted", issuer, kid + ".pem"), publicPem);
        WriteSecret(Path.Combine(dir, "signing", issuer + ".key"), privatePem);
        WriteSecret(Path.Combine(dir, "signing", issuer + ".kid"), kid);
        output.WriteLine($"{issuer}: signing key {kid}");
    }

    private static void Rotate(string dir, string issuer, TimeProvider time, TextWriter output)
    {
        var oldKid = File.ReadAllText(Path.Combine(dir, "signing", issuer + ".kid")).Trim();
        var retired = Path.Combine(dir, "trusted", issuer, oldKid + ".retired");
        WriteSecret(retired, time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        NewSigningKey(dir, issuer, time, output);
        output.WriteLine($"{issuer}: {oldKid} retired, still trusted until pruned");
    }

    private static void Prune(string dir, TimeSpan age, TimeProvider time, TextWriter output)
    {
        var trusted = Path.Combine(dir, "trusted");
        if (!Directory.Exists(trusted)) return;
        foreach (var marker in Directory.EnumerateFiles(trusted, "*.retired", SearchOption.AllDirectories))
        {
            var since = DateTimeOffset.Parse(File.ReadAllText(marker).Trim(), CultureInfo.InvariantCulture);
            if (time.GetUtcNow() - since < age) continue;
            File.Delete(Path.ChangeExtension(marker, ".pem"));
            File.Delete(marker);
            output.WriteLine($"{Path.GetFileName(Path.GetDirectoryName(marker))}: {Path.GetFileNameWithoutExtension(marker)} no longer trusted");
        }
    }

    private static string NextKeyId(string dir, string issuer, TimeProvider time)
    {
        var kid = $"{issuer}-{time.GetUtcNow():yyyyMMdd}";
        var candidate = kid;
        for (var n = 2; File.Exists(Path.Combine(dir, "trusted", issuer, candidate + ".pem")); n++) candidate = $"{kid}-{n}";
        return candidate;
    }

    private static void WriteSecret(string path, string content)
    {
        CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = SecretMode;
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
            writer.Write(content);
        File.Move(temporary, path, overwrite: true);
    }

    private static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, DirectoryMode);
    }
}
