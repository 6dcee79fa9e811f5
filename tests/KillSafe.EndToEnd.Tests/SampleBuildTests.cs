using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>
/// A sample service restored against the packed package (not a project reference) and built with the
/// dotnet CLI, the way users meet KillSafe in CI: a warning by default, a failed build when the rule is
/// an error, and a clean build once the code fix is applied.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class SampleBuildTests : IDisposable
{
    private readonly PackageFixture _package;
    private readonly ScratchDirectory _scratch = new("sample");
    private readonly string _project;
    private readonly int _bindLine;

    public SampleBuildTests(PackageFixture package)
    {
        _package = package;
        var sample = Path.Combine(Repo.Root, "samples", "StaleSocketService");
        _project = Path.Combine(_scratch.Path, "StaleSocketService");
        Directory.CreateDirectory(_project);
        foreach (var file in new[] { "StaleSocketService.csproj", "Program.cs" })
            File.Copy(Path.Combine(sample, file), Path.Combine(_project, file));
        _bindLine = Array.FindIndex(File.ReadAllLines(Path.Combine(_project, "Program.cs")), l => l.Contains("listener.Bind(", StringComparison.Ordinal)) + 1;
        Assert.True(_bindLine > 0, "the sample no longer binds a socket");

        // Stand-alone: no repository props, central versions naming the packed version, and the package
        // folder as the only feed (<clear/>), so the build needs no network: the sample has no other package.
        File.WriteAllText(Path.Combine(_scratch.Path, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(_scratch.Path, "Directory.Packages.props"), $"""
            <Project>
              <PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup>
              <ItemGroup><PackageVersion Include="KillSafe.Analyzers" Version="{_package.Version}" /></ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(_scratch.Path, "nuget.config"), $"""
            <configuration>
              <packageSources><clear /><add key="killsafe-local" value="{_package.FeedDirectory}" /></packageSources>
            </configuration>
            """);
    }

    public void Dispose() => _scratch.Dispose();

    private (int ExitCode, string Output) Build(params string[] extra) =>
        DotnetCli.Run(_project, new[] { "build", "--no-incremental", "-nologo", "-p:RestorePackagesPath=" + Path.Combine(_scratch.Path, "packages") }.Concat(extra).ToArray());

    private string Location => $"Program.cs({_bindLine},";

    [Fact]
    public void Build_reports_KS2001_as_a_warning_at_the_bind()
    {
        var (exitCode, output) = Build();
        Assert.True(exitCode == 0, output);
        Assert.Contains(output.Split('\n'), l => l.Contains(Location, StringComparison.Ordinal) && l.Contains("warning KS2001", StringComparison.Ordinal));
        // The package makes the target framework visible to analyzers (KS4004 depends on it).
        var config = Directory.GetFiles(Path.Combine(_project, "obj"), "*.GeneratedMSBuildEditorConfig.editorconfig", SearchOption.AllDirectories).Single();
        Assert.Contains("build_property.TargetFramework = net" + Environment.Version.Major + ".0", File.ReadAllText(config), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_fails_with_warnaserror()
    {
        var (exitCode, output) = Build("-warnaserror");
        Assert.NotEqual(0, exitCode);
        Assert.Contains(output.Split('\n'), l => l.Contains(Location, StringComparison.Ordinal) && l.Contains("error KS2001", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_fails_when_editorconfig_makes_KS2001_an_error()
    {
        File.WriteAllText(Path.Combine(_project, ".editorconfig"), "root = true\n\n[*.cs]\ndotnet_diagnostic.KS2001.severity = error\n");
        var (exitCode, output) = Build();
        Assert.NotEqual(0, exitCode);
        Assert.Contains(output.Split('\n'), l => l.Contains(Location, StringComparison.Ordinal) && l.Contains("error KS2001", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_fails_with_the_strict_preset_shipped_in_the_package()
    {
        var (exitCode, output) = Build("-p:KillSafeAnalysisMode=strict");
        Assert.NotEqual(0, exitCode);
        Assert.Contains(output.Split('\n'), l => l.Contains(Location, StringComparison.Ordinal) && l.Contains("error KS2001", StringComparison.Ordinal));
    }

    [Fact]
    public void The_preset_name_is_read_in_any_case_and_an_unknown_one_fails_the_build()
    {
        var (strict, strictOutput) = Build("-p:KillSafeAnalysisMode=Strict");
        Assert.NotEqual(0, strict);
        Assert.Contains(strictOutput.Split('\n'), l => l.Contains(Location, StringComparison.Ordinal) && l.Contains("error KS2001", StringComparison.Ordinal));

        var (unknown, unknownOutput) = Build("-p:KillSafeAnalysisMode=strcit");
        Assert.NotEqual(0, unknown);
        Assert.Contains("error KS0001: KillSafeAnalysisMode 'strcit' is not a KillSafe preset", unknownOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Sarif_from_the_build_carries_the_result_the_rule_metadata_and_the_help_link()
    {
        var sarif = Path.Combine(_scratch.Path, "build.sarif");
        // %2C: a plain comma would split the -p value into two properties.
        var (exitCode, output) = Build($"-p:ErrorLog={sarif}%2Cversion=2.1");
        Assert.True(exitCode == 0, output);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(sarif));
        var run = json.RootElement.GetProperty("runs")[0];
        var result = Assert.Single(run.GetProperty("results").EnumerateArray(), r => r.GetProperty("ruleId").GetString() == "KS2001");
        // SARIF 2.1 leaves "level" out when it is "warning", its default.
        Assert.Equal("warning", result.TryGetProperty("level", out var level) ? level.GetString() : "warning");
        var location = result.GetProperty("locations")[0].GetProperty("physicalLocation");
        Assert.EndsWith("/Program.cs", location.GetProperty("artifactLocation").GetProperty("uri").GetString());
        Assert.Equal(_bindLine, location.GetProperty("region").GetProperty("startLine").GetInt32());
        var rule = Assert.Single(run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray(), r => r.GetProperty("id").GetString() == "KS2001");
        Assert.Equal(KillSafe.Analyzers.Rules.RuleDescriptors.HelpLink("KS2001"), rule.GetProperty("helpUri").GetString());
        Assert.Equal(KillSafe.Analyzers.Rules.StaleUnixSocketFileAnalyzer.Rule.Title.ToString(), rule.GetProperty("shortDescription").GetProperty("text").GetString());
    }

    [Fact]
    public void Dotnet_format_applies_the_code_fix_from_the_command_line()
    {
        var (restore, restoreOutput) = DotnetCli.Run(_project, "restore", "-p:RestorePackagesPath=" + Path.Combine(_scratch.Path, "packages"));
        Assert.True(restore == 0, restoreOutput);
        // dotnet format's MSBuild build host leaves its socket file directly in /tmp (it ignores TMPDIR): a
        // KS2001-style leak of its own. Find what it left with KillSafe.Verification and sweep it (owner dead only).
        var tmp = new KillSafe.Verification.SnapshotOptions { Directories = new[] { "/tmp" }, DirectoryDepth = 1 };
        var before = KillSafe.Verification.Snapshot.Take(tmp);
        var (format, formatOutput) = DotnetCli.Run(_project, "format", "analyzers", Path.Combine(_project, "StaleSocketService.csproj"), "--diagnostics", "KS2001", "--severity", "warn", "--no-restore");
        var left = KillSafe.Verification.Leaks.Diff(before, KillSafe.Verification.Snapshot.Take(tmp)).Leftovers
            .Where(l => l.Kind == KillSafe.Verification.LeftoverKind.UnixSocketFile && l.Owner.Alive == KillSafe.Verification.Liveness.Dead);
        KillSafe.Verification.Sweeper.Sweep(left, apply: true);
        Assert.True(format == 0, formatOutput);
        Assert.Contains("StaleUnixSocket.DeleteIfStale(path);", File.ReadAllText(Path.Combine(_project, "Program.cs")));

        // KS4001 (the same socket's file, left on SIGTERM) has a fix of its own, applied in the test below.
        var (exitCode, output) = Build("-warnaserror", "-p:NoWarn=KS4001");
        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("KS2001", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_is_clean_after_the_code_fixes()
    {
        var program = Path.Combine(_project, "Program.cs");
        var fixedSource = await AnalyzerRun.FixAllAsync(File.ReadAllText(program), new StaleUnixSocketFileAnalyzer(), new DeleteStaleSocketFileCodeFix());
        fixedSource = await AnalyzerRun.FixAllAsync(fixedSource, new SignalPathMissesCleanupAnalyzer(), new SignalCleanupCodeFix());
        Assert.Contains("listener.Dispose();", fixedSource);
        File.WriteAllText(program, fixedSource);
        var (exitCode, output) = Build("-warnaserror");
        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("KS2001", output, StringComparison.Ordinal);
        Assert.DoesNotContain("KS4001", output, StringComparison.Ordinal);
    }
}
