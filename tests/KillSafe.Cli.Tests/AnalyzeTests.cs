using System.Text.Json;
using KillSafe.Verification;
using Xunit;

namespace KillSafe.Cli.Tests;

/// <summary>
/// killsafe analyze on real projects written to a folder: folder mode, solution mode after a real restore, the
/// report formats read back, exit codes, bad input, and fixes that leave code the real build compiles.
/// </summary>
public sealed class AnalyzeTests : IDisposable
{
    // A Unix socket service that binds its path without removing a stale file (KS2001, line 8).
    private const string Service = """
        using System.Net.Sockets;

        public static class Service
        {
            public static void Serve(string path)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(path));
                socket.Listen(16);
            }
        }
        """;

    private const int BindLine = 8;

    private const string Clean = """
        public static class Arithmetic
        {
            public static int Add(int a, int b) => a + b;
        }
        """;

    // A POSIX shared memory object removed after the work but on no signal: KS4001, in executables only.
    private const string Program = """
        using System;
        using System.Runtime.InteropServices;
        using System.Threading;

        int fd = Native.shm_open("/analyze-test", 0x40 | 0x2, 0x180);
        Thread.Sleep(Timeout.Infinite);
        Native.shm_unlink("/analyze-test");

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int shm_open(string name, int flags, int mode);

            [DllImport("libc", SetLastError = true)]
            public static extern int shm_unlink(string name);
        }
        """;

    private const string Project = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>TFM</TargetFramework>
            <Nullable>enable</Nullable>
          </PropertyGroup>
        </Project>
        """;

    // Outside /tmp: the litter test gives the analysis a private, empty /tmp.
    private readonly string _dir = Path.Combine("/var/tmp", $"ks-analyze-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public AnalyzeTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int ExitCode, string Output) Analyze(params string[] args) => KillsafeProcess.Run(_dir, new[] { "analyze" }.Concat(args), workingDirectory: _dir);

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private string App(string program = Program)
    {
        Write("app/app.csproj", Project.Replace("TFM", "net" + Environment.Version.Major + ".0", StringComparison.Ordinal));
        Write("app/Program.cs", program);
        return Write("app/Service.cs", Service);
    }

    private static (int ExitCode, string Output) Dotnet(string directory, params string[] args)
    {
        using var dotnet = ChildProcess.Start(KillsafeProcess.Dotnet, args, new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1", ["DOTNET_EnableDiagnostics"] = "0" }, directory);
        var exitCode = dotnet.WaitForExitAsync(TimeSpan.FromSeconds(300)).GetAwaiter().GetResult();
        return (exitCode, dotnet.Output);
    }

    public static TheoryData<string> Samples()
    {
        var data = new TheoryData<string>();
        foreach (var sample in Directory.GetDirectories(Path.Combine(RepositoryRoot(), "samples")).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(sample));
        return data;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Analyzers.sln")))
                return directory.FullName;
        }

        throw new InvalidOperationException("Analyzers.sln not found above " + AppContext.BaseDirectory);
    }

    // The header comment of each sample says which rules fire on it (eng/demo.sh and README repeat it): the
    // comment, the rules and the sample must agree.
    [Theory]
    [MemberData(nameof(Samples))]
    public void Each_sample_reports_exactly_the_rules_its_comment_names(string sample)
    {
        var folder = Path.Combine(RepositoryRoot(), "samples", sample);
        var header = string.Join("\n", File.ReadLines(Path.Combine(folder, "Program.cs")).TakeWhile(l => l.StartsWith("//", StringComparison.Ordinal)));
        var named = System.Text.RegularExpressions.Regex.Matches(header, @"KS\d{4}").Select(m => m.Value).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(named);

        var reportPath = Path.Combine(_dir, sample + ".json");
        var (exitCode, output) = Analyze(folder, "--severity", "info", "--format", "json", "--output", reportPath);
        Assert.True(exitCode == 1, output);
        using var report = JsonDocument.Parse(File.ReadAllText(reportPath));
        var reported = report.RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("ruleId").GetString()!).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(named, reported);
    }

    // Folder mode reads what MSBuild would: an unconditioned define only (a Windows-only branch stays out), and a
    // project that references a test framework is a test project, which the whole-program rules leave alone.
    [Fact]
    public void Folder_mode_ignores_conditioned_defines_and_knows_test_projects()
    {
        const string daemon = """
            using System;
            using System.IO;

            AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/daemon.pid");
            #if WINDOWS
            ServiceHost.Run();
            #endif
            Console.ReadLine();
            """;
        Write("daemon/daemon.csproj", Project.Replace("TFM", "net10.0", StringComparison.Ordinal).Replace("</PropertyGroup>", "</PropertyGroup><PropertyGroup Condition=\"'$(OS)' == 'Windows_NT'\"><DefineConstants>WINDOWS</DefineConstants></PropertyGroup>", StringComparison.Ordinal));
        Write("daemon/Program.cs", daemon);
        Write("tests/tests.csproj", Project.Replace("TFM", "net10.0", StringComparison.Ordinal).Replace("</Project>", "<ItemGroup><PackageReference Include=\"TUnit\" /></ItemGroup></Project>", StringComparison.Ordinal));
        Write("tests/Program.cs", daemon.Replace("daemon.pid", "tests.pid", StringComparison.Ordinal));
        var reportPath = Path.Combine(_dir, "report.json");
        var (exitCode, output) = Analyze(_dir, "--rules", "KS4004", "--format", "json", "--output", reportPath);
        Assert.True(exitCode == 1, output);
        using var report = JsonDocument.Parse(File.ReadAllText(reportPath));
        var finding = Assert.Single(report.RootElement.GetProperty("findings").EnumerateArray());
        Assert.EndsWith("daemon/Program.cs", finding.GetProperty("path").GetString());
    }

    [Fact]
    public void A_folder_is_compiled_ad_hoc_and_its_SARIF_names_the_rule_and_the_line()
    {
        var service = App();
        var sarifPath = Path.Combine(_dir, "report.sarif");
        var (exitCode, output) = Analyze(_dir, "--format", "sarif", "--output", sarifPath);
        Assert.True(exitCode == 1, output);

        using var sarif = JsonDocument.Parse(File.ReadAllText(sarifPath));
        Assert.Equal("2.1.0", sarif.RootElement.GetProperty("version").GetString());
        var run = sarif.RootElement.GetProperty("runs")[0];
        Assert.True(run.GetProperty("properties").GetProperty("approximate").GetBoolean());
        var rule = Assert.Single(run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray(), r => r.GetProperty("id").GetString() == "KS2001");
        Assert.EndsWith("/docs/rules/KS2001.md", rule.GetProperty("helpUri").GetString());
        var result = Assert.Single(run.GetProperty("results").EnumerateArray(), r => r.GetProperty("ruleId").GetString() == "KS2001");
        var location = result.GetProperty("locations")[0].GetProperty("physicalLocation");
        Assert.Equal(new Uri(service).AbsoluteUri, location.GetProperty("artifactLocation").GetProperty("uri").GetString());
        Assert.Equal(BindLine, location.GetProperty("region").GetProperty("startLine").GetInt32());
        // The project is an executable, so the whole-program rule judged it too.
        Assert.Contains(run.GetProperty("results").EnumerateArray(), r => r.GetProperty("ruleId").GetString() == "KS4001");
    }

    [Fact]
    public void Review_reads_the_SARIF_of_analyze_and_keeps_the_changed_lines()
    {
        App();
        Assert.Equal(0, Git("init", "-q").ExitCode);
        Assert.Equal(0, Git("-c", "user.email=t@example.com", "-c", "user.name=test", "commit", "-q", "--allow-empty", "-m", "base").ExitCode);
        Assert.Equal(0, Git("add", "-A").ExitCode); // the change under review: every line of the project is new
        var sarifPath = Path.Combine(_dir, "report.sarif");
        Analyze(_dir, "--format", "sarif", "--output", sarifPath);
        var (exitCode, output) = KillsafeProcess.Run(_dir, new[] { "review", "--sarif", sarifPath, "--base", "HEAD", "--format", "github", "--repo", _dir });
        Assert.True(exitCode == 0, output);
        Assert.Contains($"::warning file=app/Service.cs,line={BindLine},", output);

        (int ExitCode, string Output) Git(params string[] args)
        {
            using var git = ChildProcess.Start("git", new[] { "-C", _dir }.Concat(args));
            return (git.WaitForExitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult(), git.Output);
        }
    }

    [Fact]
    public void A_restored_project_and_an_slnx_load_through_MSBuild_and_leave_no_socket_file_in_tmp()
    {
        App();
        var project = Path.Combine(_dir, "app", "app.csproj");
        var (restore, restoreOutput) = Dotnet(Path.Combine(_dir, "app"), "restore", project);
        Assert.True(restore == 0, restoreOutput);
        Write("all.slnx", "<Solution>\n  <Project Path=\"app/app.csproj\" />\n</Solution>\n");

        foreach (var path in new[] { project, Path.Combine(_dir, "all.slnx") })
        {
            // A private, empty /tmp: only this analysis can put anything there, and whatever is left is its own.
            // A TMPDIR under /tmp (CI gives the run one) is made again inside it, or MSBuild finds no temp folder,
            // and killsafe's own folder is bound back in case the checkout lives under /tmp (through /mnt, in this
            // private mount namespace only).
            var json = Path.Combine(_dir, Path.GetFileName(path) + ".json");
            const string privateTmp = "mount --bind \"$KS_KEEP\" /mnt && mount -t tmpfs tmpfs /tmp && mkdir -p \"$KS_KEEP\" \"${TMPDIR:-/tmp}\" && mount --bind /mnt \"$KS_KEEP\" && umount /mnt && \"$0\" \"$@\"; code=$?; echo; echo socket files left in /tmp:; find /tmp -type s; exit $code";
            var (exitCode, output) = KillsafeProcess.Run(_dir, new[] { "analyze", path, "--format", "json", "--output", json }, new[] { "/usr/bin/unshare", "--mount", "/bin/sh", "-c", privateTmp }, workingDirectory: _dir, environment: new Dictionary<string, string?> { ["KS_KEEP"] = AppContext.BaseDirectory });
            Assert.True(exitCode == 1, output);
            Assert.EndsWith("socket files left in /tmp:", output.TrimEnd()); // the build host's was removed
            using var report = JsonDocument.Parse(File.ReadAllText(json));
            Assert.Equal("msbuild", report.RootElement.GetProperty("mode").GetString());
            var loaded = Assert.Single(report.RootElement.GetProperty("projects").EnumerateArray());
            Assert.Equal(0, loaded.GetProperty("compileErrors").GetInt32());
            Assert.True(loaded.GetProperty("executable").GetBoolean());
            var finding = Assert.Single(report.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("ruleId").GetString() == "KS2001");
            Assert.Equal(BindLine, finding.GetProperty("line").GetInt32());
            Assert.Equal(1, report.RootElement.GetProperty("summary").GetProperty("KS2001").GetInt32());
        }
    }

    [Fact]
    public void Exit_codes_follow_the_severity_and_the_rules_asked_for()
    {
        Write("lib/Arithmetic.cs", Clean);
        Assert.Equal(0, Analyze(Path.Combine(_dir, "lib")).ExitCode);
        App();
        var (all, output) = Analyze(Path.Combine(_dir, "app"), "--format", "github");
        Assert.Equal(1, all);
        Assert.Contains($"::warning file=app/Service.cs,line={BindLine},col=9,", output);
        Assert.Equal(0, Analyze(Path.Combine(_dir, "app"), "--severity", "error").ExitCode);
        var (onlyOther, text) = Analyze(Path.Combine(_dir, "app"), "--rules", "KS3002");
        Assert.Equal(0, onlyOther);
        Assert.Contains("0 finding(s)", text);
    }

    [Fact]
    public void Whole_program_rules_follow_the_executable_setting()
    {
        Write("loose/Program.cs", Program); // no project file: a library unless told otherwise
        var (_, library) = Analyze(Path.Combine(_dir, "loose"), "--rules", "KS4001");
        Assert.DoesNotContain("KS4001:", library);
        var (exitCode, executable) = Analyze(Path.Combine(_dir, "loose"), "--rules", "KS4001", "--exe", "all");
        Assert.Equal(1, exitCode);
        Assert.Contains("warning KS4001:", executable);
    }

    [Theory]
    [InlineData("no such file or folder", "/nonexistent/code")]
    [InlineData("not a solution, C# project or folder", "notes.txt")]
    [InlineData("--rules: no rule 'KS9999'", ".", "--rules", "KS9999")]
    [InlineData("--severity: 'loud' is not info, warning or error", ".", "--severity", "loud")]
    [InlineData("--format: 'xml' is not text, sarif, json or github", ".", "--format", "xml")]
    [InlineData("--exe: 'some' is not auto, all or none", ".", "--exe", "some")]
    [InlineData("unknown option '--bogus'", ".", "--bogus")]
    [InlineData("--apply goes with --fix", ".", "--apply")]
    [InlineData("analyze needs a PATH", "--severity", "info")]
    public void Bad_input_is_one_line_and_exit_2(string message, params string[] args)
    {
        Write("notes.txt", "not code");
        var (exitCode, output) = Analyze(args);
        Assert.Equal(2, exitCode);
        Assert.Contains("killsafe analyze: " + message, output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public void Fix_shows_a_diff_and_changes_nothing_until_apply_and_the_applied_fix_builds()
    {
        var service = App("public static class Entry\n{\n    public static void Main(string[] args) => Service.Serve(args[0]);\n}\n");
        var before = File.ReadAllText(service);
        var (dryExit, diff) = Analyze(Path.Combine(_dir, "app"), "--rules", "KS2001", "--fix");
        Assert.Equal(1, dryExit); // the findings are still there
        Assert.Contains("--- a/app/Service.cs", diff);
        Assert.Contains("+        StaleUnixSocket.DeleteIfStale(path);", diff);
        Assert.Contains("dry run: nothing was written", diff);
        Assert.Equal(before, File.ReadAllText(service));

        var (applyExit, applied) = Analyze(Path.Combine(_dir, "app"), "--rules", "KS2001", "--fix", "--apply");
        Assert.True(applyExit == 1, applied);
        Assert.Contains("the fixed code compiles with no new error", applied);
        Assert.NotEqual(before, File.ReadAllText(service));
        Assert.Equal(0, Analyze(Path.Combine(_dir, "app"), "--rules", "KS2001").ExitCode);
        var (build, buildOutput) = Dotnet(Path.Combine(_dir, "app"), "build", Path.Combine(_dir, "app", "app.csproj"), "-warnaserror", "-p:UseSharedCompilation=false", "-nodeReuse:false");
        Assert.True(build == 0, buildOutput);
    }
}
