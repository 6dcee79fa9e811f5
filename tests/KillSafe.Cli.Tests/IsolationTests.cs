using System.Diagnostics;
using System.Text.Json;
using KillSafe.Verification;
using KillSafe.Tests.Shared;
using Xunit;

namespace KillSafe.Cli.Tests;

/// <summary>
/// killsafe verify in namespaces of its own (the default where the kernel allows it): every leftover is the
/// program's, nothing it leaves reaches the host, two runs do not see each other or the host's litter, and the
/// real restart check starts the program again over what it left. Real processes and kernel objects throughout.
/// </summary>
public sealed class IsolationTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ks-iso-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
    private readonly string _token = $"ks-iso-{Environment.ProcessId}-{Guid.NewGuid():N}"[..30];

    public IsolationTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Child => Path.Combine(AppContext.BaseDirectory, "KillSafe.TestChild.dll");

    private (int ExitCode, string Output) Killsafe(params string[] args) => KillsafeProcess.Run(_dir, args);

    private static JsonDocument Report(string output)
    {
        int start = output.IndexOf("{\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "no JSON report in:\n" + output);
        return JsonDocument.Parse(output[start..output.LastIndexOf('}')] + "}");
    }

    private static IEnumerable<(string Kind, string Identity)> Leftovers(JsonDocument report) =>
        report.RootElement.GetProperty("leftovers").EnumerateArray().Select(l => (l.GetProperty("kind").GetString()!, l.GetProperty("identity").GetString()!));

    private static int KeyOf(string token) => HostSearch.KeyOf(token);

    private static bool HostHasSegmentWithKey(int key) => HostSearch.HasSegmentWithKey(key);

    private static bool HostRunsProcessWith(string token) => HostSearch.RunsProcessWith(token, unless: "killsafe");

    [Fact]
    public void Every_leftover_is_reported_and_none_reaches_the_host()
    {
        var socket = Path.Combine(_dir, "leak.sock");
        var (exitCode, output) = Killsafe("verify", "--json", "--no-restart", "--dir", _dir, "--ready-line", "READY", "--", KillsafeProcess.Dotnet, Child, "leak-all", _token, socket, "47211");
        Assert.True(exitCode == 1, output);
        using var report = Report(output);
        Assert.True(report.RootElement.GetProperty("isolated").GetBoolean(), output);
        var leftovers = Leftovers(report).ToList();
        Assert.Contains(("sysVSharedMemory", $"key 0x{KeyOf(_token):x8}"), leftovers.Select(l => (l.Kind, l.Identity.Split(" id ")[0])));
        Assert.Contains(("posixSemaphore", $"/dev/shm/sem.{_token}"), leftovers);
        Assert.Contains(("unixSocketFile", socket), leftovers);
        Assert.Contains(leftovers, l => l.Kind == "process");

        // The host never had any of it: the namespaces took it all with them.
        Assert.False(HostHasSegmentWithKey(KeyOf(_token)), "the SysV segment reached the host");
        Assert.False(File.Exists($"/dev/shm/sem.{_token}"), "the semaphore reached the host");
        Assert.Equal(UnixFileKind.Missing, UnixFile.KindOf(socket));
        Assert.False(HostRunsProcessWith(_token), "the orphaned child runs on the host");
    }

    [Fact]
    public async Task Two_isolated_runs_at_once_see_only_their_own_objects()
    {
        var first = _token + "a";
        var second = _token + "b";
        var runs = new[] { first, second }.Select(name => Task.Run(() => Killsafe("verify", "--json", "--no-restart", "--ready-line", "READY", "--", KillsafeProcess.Dotnet, Child, "devshm", name))).ToArray();
        var results = await Task.WhenAll(runs);
        for (int i = 0; i < 2; i++)
        {
            var (own, other) = i == 0 ? (first, second) : (second, first);
            Assert.True(results[i].ExitCode == 1, results[i].Output);
            using var report = Report(results[i].Output);
            var identities = Leftovers(report).Select(l => l.Identity).ToList();
            Assert.Contains("/dev/shm/" + own, identities);
            Assert.DoesNotContain("/dev/shm/" + other, identities);
            Assert.False(File.Exists("/dev/shm/" + own));
        }
    }

    [Fact]
    public async Task A_clean_program_passes_while_another_process_litters_the_host()
    {
        // A host process that keeps making files in /tmp and /dev/shm while verify runs.
        var litter = Path.Combine(_dir, "litter");
        Directory.CreateDirectory(litter);
        using var litterer = ChildProcess.Start("/bin/sh", new[] { "-c", $"i=0; while true; do i=$((i+1)); : > {litter}/f$i; : > /dev/shm/{_token}-$i; sleep 0.05; done" });
        try
        {
            await Task.Delay(200);
            var (exitCode, output) = await Task.Run(() => Killsafe("verify", "--dir", _dir, "--signal", "TERM", "--ready-line", "READY", "--", KillsafeProcess.Dotnet, Child, "wait"));
            Assert.True(exitCode == 0, output);
            Assert.Contains("PASS", output);
            Assert.Contains("isolated: ", output);
        }
        finally
        {
            litterer.KillTree();
            await litterer.WaitForExitAsync(Timeout);
            foreach (var file in Directory.EnumerateFiles("/dev/shm", _token + "-*"))
                File.Delete(file);
        }
    }

    [Fact]
    public void The_real_restart_starts_a_program_that_removes_its_stale_socket_and_fails_one_that_does_not()
    {
        var path = Path.Combine(_dir, "service.sock");
        var (_, cleaning) = Killsafe("verify", "--json", "--dir", _dir, "--ready-line", "READY", "--", KillsafeProcess.Dotnet, Child, "bind-unix-fresh", path);
        using (var report = Report(cleaning))
        {
            var again = report.RootElement.GetProperty("startedAgain");
            Assert.True(again.GetProperty("started").GetBoolean(), cleaning);
        }

        var (exitCode, plain) = Killsafe("verify", "--json", "--dir", _dir, "--ready-line", "READY", "--", KillsafeProcess.Dotnet, Child, "bind-unix", path);
        Assert.Equal(1, exitCode);
        using (var report = Report(plain))
        {
            var again = report.RootElement.GetProperty("startedAgain");
            Assert.False(again.GetProperty("started").GetBoolean(), plain);
            Assert.Matches("exited .*before", again.GetProperty("reason").GetString());
            Assert.Contains("Address already in use", again.GetProperty("output").GetString()); // the restarted program's own error
        }

        Assert.Equal(UnixFileKind.Missing, UnixFile.KindOf(path));
    }

    [Fact]
    public void Without_namespaces_verify_says_so_in_one_line_and_compares_the_whole_machine()
    {
        var refused = new Dictionary<string, string?> { ["KILLSAFE_UNSHARE"] = "/bin/false" };
        // The whole machine: other tests and builds run beside this one (MSBuild writes its temp files into
        // TMPDIR), so the files looked at are a folder of this test's own, and whatever else the machine-wide
        // part shows is the caveat the message names, not this test's business.
        var scope = Path.Combine(_dir, "scope");
        Directory.CreateDirectory(scope);
        var (exitCode, output) = KillsafeProcess.Run(_dir, new[] { "verify", "--no-restart", "--signal", "TERM", "--ready-line", "READY", "--dir", scope, "--", KillsafeProcess.Dotnet, Child, "wait" }, environment: refused);
        Assert.True(exitCode is 0 or 1, output);
        Assert.Contains("killsafe: exited with 143", output); // it ran the program on the host and signalled it
        Assert.Single(output.Split('\n'), l => l.StartsWith("killsafe: isolation is not available here (/bin/false failed with exit code 1); comparing the whole machine instead", StringComparison.Ordinal));
        Assert.DoesNotContain("isolated: ", output);

        var (restartExit, restart) = KillsafeProcess.Run(_dir, new[] { "verify", "--restart", "--", "true" }, environment: refused);
        Assert.Equal(2, restartExit);
        Assert.Contains("--restart starts the program again over what it left, which needs isolation", restart);
    }

    [Fact]
    public async Task Stopping_an_isolated_verify_with_SIGTERM_ends_the_program_and_its_namespaces()
    {
        var variables = new Dictionary<string, string?> { ["DOTNET_EnableDiagnostics"] = "0", ["KILLSAFE_STATE_DIR"] = _dir };
        // The program would wait for a line it never prints; verify is stopped while it waits.
        using var cli = ChildProcess.Start(KillsafeProcess.Dotnet, new[] { KillsafeProcess.Dll, "verify", "--no-restart", "--ready-line", "NEVER", "--timeout", "60", "--", KillsafeProcess.Dotnet, Child, "leak-all", _token, Path.Combine(_dir, "s.sock"), "47212" }, variables);
        await cli.WaitForOutputAsync("waiting until it is ready", Timeout);
        var clock = Stopwatch.StartNew();
        // The host's /proc shows the processes of PID namespaces below it: wait until the program's orphan runs.
        while (!HostRunsProcessWith(_token) && clock.Elapsed < Timeout)
            await Task.Delay(50);
        Assert.True(HostRunsProcessWith(_token), "the program did not start:\n" + cli.Output);
        cli.Signal(KillSignal.Term);
        Assert.Equal(130, await cli.WaitForExitAsync(Timeout));
        Assert.Contains("killsafe: verify was stopped by a signal; the program was ended, and its namespaces with everything in them", cli.Output);
        Assert.False(HostRunsProcessWith(_token), "the program or its orphan still runs");
        Assert.False(HostHasSegmentWithKey(KeyOf(_token)), "the SysV segment reached the host");
    }

    [Fact]
    public void An_ordinary_user_gets_isolation_through_a_user_namespace()
    {
        var (exitCode, output) = KillsafeProcess.Run(_dir, new[] { "verify", "--json", "--no-restart", "--ready-line", "READY", "--", KillsafeProcess.Dotnet, Child, "devshm", _token },
            new[] { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups" });
        Assert.True(exitCode == 1, output);
        using var report = Report(output);
        Assert.True(report.RootElement.GetProperty("isolated").GetBoolean(), output);
        Assert.Contains(("posixSharedMemory", "/dev/shm/" + _token), Leftovers(report));
        Assert.False(File.Exists("/dev/shm/" + _token));
    }

    [Fact]
    public void An_isolated_verify_leaves_no_runtime_file_of_its_own_on_the_host()
    {
        // The runtime's diagnostics on, as users have them, and a temp folder of its own to look at.
        var temp = Path.Combine(_dir, "temp");
        Directory.CreateDirectory(temp);
        var environment = new Dictionary<string, string?> { ["DOTNET_EnableDiagnostics"] = null, ["TMPDIR"] = temp + "/" };
        var (exitCode, output) = KillsafeProcess.Run(_dir, new[] { "verify", "--json", "--no-restart", "--signal", "TERM", "--ready-line", "READY", "--", KillRunOptions.DotnetHost, Child, "wait" }, environment: environment);
        Assert.True(exitCode is 0 or 1, output);
        using var report = Report(output);
        Assert.True(report.RootElement.GetProperty("isolated").GetBoolean(), output);
        // The program's own diagnostics socket was made inside (it ran with the user's setting) and is judged there.
        Assert.Contains(report.RootElement.GetProperty("runtimeLitter").EnumerateArray(), l => l.GetProperty("identity").GetString()!.Contains("dotnet-diagnostic-", StringComparison.Ordinal));
        var left = Directory.GetFileSystemEntries(temp).Select(Path.GetFileName).ToList();
        Assert.True(left.Count == 0, "left in the host's temp folder: " + string.Join(", ", left));
    }
}
