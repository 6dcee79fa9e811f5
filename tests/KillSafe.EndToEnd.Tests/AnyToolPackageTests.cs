using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>
/// The tool as a machine gets it when no native package fits it (linux-arm64 without that package, linux-musl,
/// another architecture): the framework-dependent <c>KillSafe.Cli.any</c>. This machine is linux-x64, so the
/// pointer package here names only <c>linux-arm64</c> and <c>any</c>, and <c>dotnet tool install</c> must choose
/// <c>any</c>, as it would on a machine that none of the native packages fits.
/// </summary>
public sealed class AnyToolPackageFixture : InstalledToolFixture
{
    // Quoted, MSBuild keeps the ';' in the value (%3B would make "linux-arm64;any" one runtime identifier).
    public AnyToolPackageFixture()
        : base("any-tool", () => new[]
        {
            ("the pointer package", new[] { "-p:ToolPackageRuntimeIdentifiers=\"linux-arm64;any\"" }),
            ("the framework-dependent package", new[] { "-r", "any" }),
        })
    {
    }

    // The launcher finds the runtime through DOTNET_ROOT, as a framework-dependent tool's does wherever .NET is
    // not installed in its default folder.
    protected override IReadOnlyDictionary<string, string?> ProgramEnvironment { get; } = new Dictionary<string, string?> { ["DOTNET_ROOT"] = Path.GetDirectoryName(DotnetCli.Host) };
}

/// <summary>The framework-dependent package installs where no native one fits, and does what the native one does.</summary>
public sealed class AnyToolPackageTests : IClassFixture<AnyToolPackageFixture>, IDisposable
{
    private readonly AnyToolPackageFixture _tool;
    private readonly ScratchDirectory _scratch = new("any-run");

    public AnyToolPackageTests(AnyToolPackageFixture tool) => _tool = tool;

    public void Dispose() => _scratch.Dispose();

    private (int ExitCode, string Output) Installed(params string[] args) => _tool.Start(_scratch.Path, args);

    [Fact]
    public void The_installer_chooses_the_framework_dependent_package_and_it_scans()
    {
        Assert.Equal(new[] { "KillSafe.Cli.0.1.0.nupkg", "KillSafe.Cli.any.0.1.0.nupkg" }, _tool.Packages);
        var tools = Path.GetDirectoryName(_tool.Program)!;
        var installed = Directory.GetFiles(tools, "killsafe.dll", SearchOption.AllDirectories);
        Assert.Contains(installed, path => path.Contains(Path.Combine("killsafe.cli.any", "0.1.0", "tools"), StringComparison.Ordinal));

        var (versionExit, version) = Installed("--version");
        Assert.True(versionExit == 0, version);
        Assert.StartsWith("killsafe ", version);
        var (scanExit, scan) = Installed("scan", "--json", "--dir", _scratch.Path);
        Assert.True(scanExit == 0, scan);
        Assert.Equal("scan", InstalledToolFixture.Document(scan).GetProperty("command").GetString());
        var (badExit, bad) = Installed("scan", "--apply");
        Assert.Equal(2, badExit);
        Assert.Contains("killsafe: scan does not take --apply", bad);
    }

    [Fact]
    public void It_analyzes_with_the_analyzer_beside_it()
    {
        var code = InstalledToolFixture.CodeWithAStaleSocketPath(_scratch);
        var (exitCode, output) = Installed("analyze", code, "--format", "json");
        Assert.True(exitCode is 0 or 1, output);
        Assert.Contains("\"KS2001\"", output);
    }
}
