using System.Text.Json;
using KillSafe.Verification;
using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>
/// killsafe review on a throwaway git repository with two commits and the SARIF of a real build of it: only
/// the finding on the lines the second commit adds is reported, in each format, with the documented exit codes.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class ReviewTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new("review");
    private readonly PackageFixture _package;
    private readonly string _repo;
    private readonly int _newBindLine;

    private const string NewFile = """
        using System.Net.Sockets;

        namespace StaleSocketService;

        public static class Admin
        {
            public static Socket Listen(string path)
            {
                var admin = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                admin.Bind(new UnixDomainSocketEndPoint(path));
                admin.Listen(1);
                return admin;
            }
        }
        """;

    public ReviewTests(PackageFixture package)
    {
        _package = package;
        _repo = Path.Combine(_scratch.Path, "repo");
        var project = Path.Combine(_repo, "StaleSocketService");
        Directory.CreateDirectory(project);
        foreach (var file in new[] { "StaleSocketService.csproj", "Program.cs" })
            File.Copy(Path.Combine(Repo.Root, "samples", "StaleSocketService", file), Path.Combine(project, file));
        File.WriteAllText(Path.Combine(_repo, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(_repo, "Directory.Packages.props"), $"""
            <Project>
              <PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup>
              <ItemGroup><PackageVersion Include="KillSafe.Analyzers" Version="{_package.Version}" /></ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(_repo, "nuget.config"), $"""
            <configuration><packageSources><clear /><add key="local" value="{_package.FeedDirectory}" /></packageSources></configuration>
            """);
        File.WriteAllText(Path.Combine(_repo, ".gitignore"), "bin/\nobj/\n");

        Git("init", "-q", "-b", "main");
        Git("add", "-A");
        Git("commit", "-q", "-m", "service with an old KS2001 finding");
        File.WriteAllText(Path.Combine(project, "Admin.cs"), NewFile);
        Git("add", "-A");
        Git("commit", "-q", "-m", "admin socket: a new KS2001 finding");
        _newBindLine = Array.FindIndex(NewFile.Split('\n'), l => l.Contains("admin.Bind(", StringComparison.Ordinal)) + 1;
    }

    public void Dispose() => _scratch.Dispose();

    private void Git(params string[] args)
    {
        var environment = new Dictionary<string, string?>
        {
            ["GIT_AUTHOR_NAME"] = "KillSafe Tests", ["GIT_AUTHOR_EMAIL"] = "tests@killsafe.invalid",
            ["GIT_COMMITTER_NAME"] = "KillSafe Tests", ["GIT_COMMITTER_EMAIL"] = "tests@killsafe.invalid",
        };
        using var git = ChildProcess.Start("git", new[] { "-C", _repo }.Concat(args), environment);
        var exitCode = git.WaitForExitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        Assert.True(exitCode == 0, $"git {string.Join(' ', args)}: {git.Output}");
    }

    /// <summary>Builds the repository with SARIF output, the way CI does; returns the SARIF path.</summary>
    private string BuildSarif(params string[] extra)
    {
        var sarif = Path.Combine(_scratch.Path, $"build-{Guid.NewGuid():N}.sarif");
        DotnetCli.Run(Path.Combine(_repo, "StaleSocketService"), new[]
        {
            "build", "--no-incremental", "-nologo", "-p:RestorePackagesPath=" + Path.Combine(_scratch.Path, "packages"), $"-p:ErrorLog={sarif}%2Cversion=2.1",
        }.Concat(extra).ToArray());
        Assert.True(File.Exists(sarif), "the build wrote no SARIF file");
        return sarif;
    }

    private (int ExitCode, string Output) Review(params string[] args)
    {
        using var cli = ChildProcess.Start(DotnetCli.Host, new[] { Path.Combine(AppContext.BaseDirectory, "killsafe.dll"), "review" }.Concat(args), InMemoryProgram.ChildEnvironment);
        var exitCode = cli.WaitForExitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        return (exitCode, cli.Output);
    }

    [Fact]
    public void Only_the_finding_on_changed_lines_is_reported_and_warnings_exit_0()
    {
        var sarif = BuildSarif();
        var (exitCode, output) = Review("--sarif", sarif, "--base", "HEAD~1", "--repo", _repo, "--format", "json");
        Assert.Equal(0, exitCode);
        using var json = JsonDocument.Parse(output);
        var finding = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("KS2001", finding.GetProperty("ruleId").GetString());
        Assert.Equal("StaleSocketService/Admin.cs", finding.GetProperty("path").GetString());
        Assert.Equal(_newBindLine, finding.GetProperty("line").GetInt32());
        Assert.Equal("https://github.com/killsafe/killsafe/blob/main/docs/rules/KS2001.md", finding.GetProperty("helpUri").GetString());

        // Against the first commit's parent-less state nothing of Program.cs changed: its old finding never shows.
        Assert.DoesNotContain("Program.cs", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_on_changed_lines_become_github_error_annotations_and_exit_1()
    {
        var sarif = BuildSarif("-p:KillSafeAnalysisMode=strict");
        var (exitCode, output) = Review("--sarif", sarif, "--base", "HEAD~1", "--repo", _repo, "--format", "github");
        Assert.Equal(1, exitCode);
        var annotation = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"::error file=StaleSocketService/Admin.cs,line={_newBindLine},col=", annotation, StringComparison.Ordinal);
        Assert.Contains(",title=KS2001::Socket.Bind binds the Unix socket path 'path'", annotation, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_summarises_the_findings_in_a_table()
    {
        var sarif = BuildSarif();
        var (exitCode, output) = Review("--sarif", sarif, "--base", "main~1", "--repo", _repo, "--format", "markdown");
        Assert.Equal(0, exitCode);
        Assert.Contains("### KillSafe: 1 finding(s) on changed lines", output, StringComparison.Ordinal);
        Assert.Contains($"| [KS2001](https://github.com/killsafe/killsafe/blob/main/docs/rules/KS2001.md) | warning | `StaleSocketService/Admin.cs:{_newBindLine}` |", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_input_is_one_line_and_exit_2()
    {
        var sarif = BuildSarif();
        var outside = Path.Combine(_scratch.Path, "not-a-repo");
        Directory.CreateDirectory(outside);
        foreach (var (args, message) in new[]
        {
            (new[] { "--sarif", Path.Combine(_scratch.Path, "missing.sarif"), "--base", "HEAD~1", "--repo", _repo }, "SARIF file not found"),
            (new[] { "--sarif", sarif, "--base", "HEAD~1", "--repo", outside }, "not a git repository"),
            (new[] { "--sarif", sarif, "--base", "no-such-branch", "--repo", _repo }, "unknown base 'no-such-branch'"),
            (new[] { "--sarif", sarif, "--base", "HEAD~1", "--repo", _repo, "--format", "xml" }, "unknown format 'xml'"),
        })
        {
            var (exitCode, output) = Review(args);
            Assert.Equal(2, exitCode);
            Assert.Contains("killsafe: " + message, output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        }
    }
}
