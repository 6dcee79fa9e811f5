using KillSafe.Tests.Shared;
using Xunit;

namespace KillSafe.Verification.Tests;

/// <summary>
/// The library's isolated runs (KillRunOptions.Isolation, LeakGuard.CheckIsolatedAsync): the program runs in
/// namespaces of its own, what it leaves is reported, and nothing of it reaches this machine. Real processes
/// and kernel objects throughout; the host is searched afterwards for each object by its unique name.
/// </summary>
public sealed class IsolatedRunTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ks-lib-iso-{Environment.ProcessId}-{Guid.NewGuid():N}"[..44]);
    private readonly string _token = $"ks-lib-iso-{Environment.ProcessId}-{Guid.NewGuid():N}"[..34];

    public IsolatedRunTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Child => Path.Combine(AppContext.BaseDirectory, "KillSafe.TestChild.dll");

    private static int KeyOf(string token) => HostSearch.KeyOf(token);

    private static bool HostHasSegmentWithKey(int key) => HostSearch.HasSegmentWithKey(key);

    private static bool HostRunsProcessWith(string token) => HostSearch.RunsProcessWith(token, unless: "KillSafe.Verification.dll");

    private GuardedCommand Shell(string script) => new()
    {
        FileName = "/bin/sh",
        Arguments = new[] { "-c", script },
        Timeout = Timeout,
        Snapshot = WatchingOwnFolder(),
    };

    private SnapshotOptions WatchingOwnFolder() => new() { Directories = new[] { Path.GetTempPath(), _dir } };

    [Fact]
    public async Task An_isolated_kill_run_reports_every_leftover_and_none_reaches_the_host()
    {
        var socket = Path.Combine(_dir, "leak.sock");
        var options = KillRunOptions.ForAssembly(Child, new[] { "leak-all", _token, socket, "47311" }, new Readiness.Line("READY")) with
        {
            Isolation = new IsolationOptions(),
            CheckRestart = false,
            Timeout = Timeout,
            Snapshot = WatchingOwnFolder(),
        };

        var report = await KillRun.RunAsync(options);

        Assert.NotNull(report.Isolation);
        Assert.Contains("network namespaces", report.Isolation);
        var leftovers = report.Leaks.Leftovers.Select(l => (l.Kind, l.Identity)).ToList();
        Assert.Contains((LeftoverKind.SysVSharedMemory, $"key 0x{KeyOf(_token):x8}"), leftovers.Select(l => (l.Kind, l.Identity.Split(" id ")[0])));
        Assert.Contains((LeftoverKind.PosixSemaphore, $"/dev/shm/sem.{_token}"), leftovers);
        Assert.Contains((LeftoverKind.UnixSocketFile, socket), leftovers);
        Assert.Contains(leftovers, l => l.Kind == LeftoverKind.Process);
        Assert.Equal(137, report.ExitCode);
        Assert.False(report.Passed);

        // The host never had any of it: the namespaces took it all with them.
        Assert.False(HostHasSegmentWithKey(KeyOf(_token)), "the SysV segment reached the host");
        Assert.False(File.Exists($"/dev/shm/sem.{_token}"), "the semaphore reached the host");
        Assert.Equal(UnixFileKind.Missing, UnixFile.KindOf(socket));
        Assert.False(HostRunsProcessWith(_token), "the orphaned child runs on the host");
    }

    [Fact]
    public async Task Guarded_commands_run_in_parallel_see_only_their_own_objects()
    {
        var names = new[] { _token + "a", _token + "b" };
        var runs = names.Select(name => LeakGuard.CheckIsolatedAsync(Shell($"echo state > /dev/shm/{name}; echo state > {_dir}/{name}.txt; sleep 0.3"))).ToArray();
        var reports = await Task.WhenAll(runs);
        for (int i = 0; i < 2; i++)
        {
            var (own, other) = (names[i], names[1 - i]);
            Assert.True(reports[i].ExitCode == 0, reports[i].Output);
            var identities = reports[i].Leaks.Leftovers.Select(l => l.Identity).ToList();
            Assert.Contains("/dev/shm/" + own, identities);
            Assert.Contains($"{_dir}/{own}.txt", identities);
            Assert.DoesNotContain("/dev/shm/" + other, identities);
            Assert.DoesNotContain($"{_dir}/{other}.txt", identities);
            Assert.False(File.Exists("/dev/shm/" + own), "the shared memory file reached the host");
            Assert.False(File.Exists($"{_dir}/{own}.txt"), "the file reached the host's folder");
        }

        var thrown = await Assert.ThrowsAsync<LeakException>(() => LeakGuard.VerifyNoLeaksIsolatedAsync(Shell($"echo state > /dev/shm/{_token}c")));
        Assert.Contains("/dev/shm/" + _token + "c", thrown.Message);
        Assert.False(File.Exists($"/dev/shm/{_token}c"));
    }

    [Fact]
    public async Task A_clean_program_passes_while_another_process_litters_the_host()
    {
        var litter = Path.Combine(_dir, "litter");
        Directory.CreateDirectory(litter);
        using var litterer = ChildProcess.Start("/bin/sh", new[] { "-c", $"i=0; while true; do i=$((i+1)); : > {litter}/f$i; : > /dev/shm/{_token}-$i; sleep 0.05; done" });
        try
        {
            await Task.Delay(200);
            // A real .NET program that makes nothing and ends on its own, and the runtime's own files with it.
            var report = await LeakGuard.VerifyNoLeaksIsolatedAsync(GuardedCommand.ForAssembly(Child, "exit") with { Timeout = Timeout, Snapshot = WatchingOwnFolder() });
            Assert.Equal(0, report.ExitCode);
            Assert.Empty(report.Leaks.NotCounted);
            Assert.Contains("private layer over", report.Isolation);
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
    public async Task A_process_left_running_is_reported_and_ends_with_the_namespaces()
    {
        var report = await LeakGuard.CheckIsolatedAsync(Shell($"sh -c 'sleep 300; : {_token}' & echo started"));
        Assert.Contains("started", report.Output);
        var process = Assert.Single(report.Leaks.Leftovers, l => l.Kind == LeftoverKind.Process);
        Assert.Equal(Liveness.Alive, process.Owner.Alive);
        Assert.False(HostRunsProcessWith(_token), "the left process still runs on the host");
    }

    [Fact]
    public async Task A_predicate_cannot_be_the_readiness_of_an_isolated_run()
    {
        var options = KillRunOptions.ForAssembly(Child, new[] { "wait" }, new Readiness.When(() => true, "the caller's own check")) with { Isolation = new IsolationOptions() };
        var thrown = await Assert.ThrowsAsync<VerificationException>(() => KillRun.RunAsync(options));
        Assert.Contains("an isolated run cannot wait for a predicate ('the caller's own check')", thrown.Message);
    }

    [Fact]
    public async Task Where_namespaces_are_refused_an_isolated_run_says_why_and_runs_nothing()
    {
        var marker = Path.Combine(_dir, "ran");
        var refused = new IsolationOptions { Unshare = "/bin/false" };
        var thrown = await Assert.ThrowsAsync<VerificationEnvironmentException>(() => LeakGuard.CheckIsolatedAsync(Shell($": > {marker}") with { Isolation = refused }));
        Assert.Equal("isolation is not available here (/bin/false failed with exit code 1); run on the host instead (leave KillRunOptions.Isolation null)", thrown.Message);
        Assert.False(File.Exists(marker), "the command ran although isolation was refused");
    }
}
