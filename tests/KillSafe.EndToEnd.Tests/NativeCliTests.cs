using System.Text.Json;
using KillSafe.Verification;
using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>
/// killsafe as users install the native tool: the pointer package and the linux-x64 package, compiled ahead of
/// time (<c>dotnet pack -p:KillSafeAot=true</c>, then with <c>-r linux-x64</c>), put in a local feed and installed
/// with <c>dotnet tool install</c>, once for the tests of this class. Needs a C compiler and linker (clang or gcc; <c>.ci/run</c> installs
/// clang where none is there).
/// </summary>
public sealed class NativeCliFixture : InstalledToolFixture
{
    public NativeCliFixture()
        : base("native-cli", () =>
        {
            var compiler = CCompiler() ?? throw new InvalidOperationException("Native AOT needs a C compiler and linker, and none is on PATH (clang, clang-NN or gcc): install clang (apt-get install clang)");
            return new[]
            {
                ("the pointer package", Array.Empty<string>()),
                ("the native package", new[] { "-r", "linux-x64", "-p:CppCompilerAndLinker=" + compiler }),
            };
        })
    {
    }

    // The first of clang, the newest clang-NN, gcc on PATH.
    private static string? CCompiler()
    {
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Where(Directory.Exists).ToList();
        var names = folders.SelectMany(f => Directory.EnumerateFiles(f, "clang*")).Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        if (names.Contains("clang"))
            return "clang";
        var versioned = names.Where(n => n.StartsWith("clang-", StringComparison.Ordinal) && int.TryParse(n["clang-".Length..], out _)).OrderByDescending(n => int.Parse(n["clang-".Length..])).FirstOrDefault();
        return versioned ?? (folders.Any(f => File.Exists(Path.Combine(f, "gcc"))) ? "gcc" : null);
    }
}

/// <summary>The native killsafe does what the framework-dependent one does, and hosts its own isolated runs.</summary>
public sealed class NativeCliTests : IClassFixture<NativeCliFixture>, IDisposable
{
    private readonly NativeCliFixture _native;
    private readonly ScratchDirectory _scratch = new("native-run");

    public NativeCliTests(NativeCliFixture native) => _native = native;

    public void Dispose() => _scratch.Dispose();

    private static string Child => Path.Combine(AppContext.BaseDirectory, "KillSafe.TestChild.dll");

    private (int ExitCode, string Output) Native(params string[] args) => _native.Start(_scratch.Path, args);

    private static JsonElement Document(string output) => InstalledToolFixture.Document(output);

    [Fact]
    public void It_is_one_native_program_that_scans()
    {
        Assert.Equal(new[] { "KillSafe.Cli.0.1.0.nupkg", "KillSafe.Cli.linux-x64.0.1.0.nupkg" }, _native.Packages);
        var installed = new FileInfo(_native.Program).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? _native.Program;
        Assert.Contains(Path.Combine("killsafe.cli.linux-x64", "0.1.0", "tools"), installed);
        Assert.False(File.Exists(Path.ChangeExtension(installed, ".dll")), "the native package holds a killsafe.dll: it is not one native program");
        var (versionExit, version) = Native("--version");
        Assert.True(versionExit == 0, version);
        Assert.StartsWith("killsafe ", version);

        var (scanExit, scan) = Native("scan", "--json", "--dir", _scratch.Path);
        Assert.True(scanExit is 0 or 1, scan);
        var document = Document(scan);
        Assert.Equal("scan", document.GetProperty("command").GetString());
        Assert.Equal(1, document.GetProperty("schemaVersion").GetInt32());
    }

    [Fact]
    public void Its_command_line_survives_the_native_compile()
    {
        // The command-line library is trimmed with the rest: help, validation and completion must still work.
        var (helpExit, help) = Native("verify", "--help");
        Assert.True(helpExit == 0, help);
        Assert.Contains("--ready-line <TEXT>", help);
        var (badExit, bad) = Native("scan", "--apply");
        Assert.Equal(2, badExit);
        Assert.Contains("killsafe: scan does not take --apply", bad);
        var (timeoutExit, timeout) = Native("verify", "--timeout", "1e308", "--", "true");
        Assert.Equal(2, timeoutExit);
        Assert.Contains("--timeout: '1e308' is not a number of seconds", timeout);
        var (suggestExit, suggest) = Native("[suggest:11]", "killsafe sw");
        Assert.Equal(0, suggestExit);
        Assert.Equal("sweep", suggest.Trim());
    }

    [Fact]
    public void It_analyzes_through_the_framework_dependent_analyzer_it_carries()
    {
        var code = InstalledToolFixture.CodeWithAStaleSocketPath(_scratch);
        var (exitCode, output) = Native("analyze", code, "--format", "json");
        Assert.True(exitCode is 0 or 1, output);
        Assert.Contains("\"KS2001\"", output);
    }

    [Fact]
    public void It_hosts_its_own_isolated_runs_and_nothing_reaches_the_host()
    {
        var token = $"ks-native-{Environment.ProcessId}-{Guid.NewGuid():N}"[..32];
        var socket = _scratch.File("leak.sock");
        var (exitCode, output) = Native("verify", "--json", "--no-restart", "--dir", _scratch.Path, "--ready-line", "READY", "--", DotnetCli.Host, Child, "leak-all", token, socket, "47511");
        Assert.True(exitCode == 1, output);
        var document = Document(output);
        Assert.True(document.GetProperty("isolated").GetBoolean(), output);
        var identities = document.GetProperty("leftovers").EnumerateArray().Select(l => l.GetProperty("identity").GetString()).ToList();
        Assert.Contains($"/dev/shm/sem.{token}", identities);
        Assert.Contains(socket, identities);
        Assert.False(File.Exists($"/dev/shm/sem.{token}"), "the semaphore reached the host");
        Assert.Equal(UnixFileKind.Missing, UnixFile.KindOf(socket));
    }
}
