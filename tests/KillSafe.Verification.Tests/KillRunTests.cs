using System.Net;
using System.Net.Sockets;
using KillSafe.Verification.Proc;
using Xunit;

namespace KillSafe.Verification.Tests;

/// <summary>Real children make real kernel objects, are killed by real signals, and the report says what stayed.</summary>
[Collection(KernelState.Name)]
public sealed class KillRunTests : KernelTest
{
    [Fact]
    public async Task A_SysV_segment_of_a_killed_child_is_reported_with_its_removal_command_and_swept()
    {
        var run = await KillRun.RunAsync(Child("shm"));
        int id = RemoveLater(SysVKind.SharedMemory, IdFrom(run.Output, "ID "));

        var segment = Assert.Single(run.Leaks.Leftovers, l => l.Kind == LeftoverKind.SysVSharedMemory);
        Assert.EndsWith($"id {id}", segment.Identity);
        Assert.Equal($"ipcrm -m {id}", segment.RemovalCommand);
        Assert.Equal(Liveness.Dead, segment.Owner.Alive);
        Assert.False(run.Passed);

        var action = Assert.Single(Sweeper.Sweep(new[] { segment }, apply: true));
        Assert.True(action.Removed, action.Reason);
        Assert.DoesNotContain(Snapshot.Take(SnapshotOptions).SysV, o => o.Kind == SysVKind.SharedMemory && o.Id == id);
    }

    [Fact]
    public async Task A_surviving_keyed_segment_fails_the_exclusive_restart_check()
    {
        int key = 0x4b530000 | (Environment.ProcessId & 0xffff); // unique per test process
        var run = await KillRun.RunAsync(Child("shm-key", args: key.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        int id = RemoveLater(SysVKind.SharedMemory, IdFrom(run.Output, "ID "));

        var restart = Assert.Single(run.Restart);
        Assert.False(restart.Succeeded);
        Assert.Contains($"key 0x{key:x8}", restart.What);
        Assert.Equal("EEXIST", restart.ErrnoName); // not a socket error: the key exists already
        Assert.Contains("already exists (EEXIST)", restart.ToString());
        Native.shmctl(id, 0, IntPtr.Zero);
        Assert.True(RestartCheck.SysVSharedMemoryKey(key).Succeeded);
    }

    [Fact]
    public async Task A_posix_message_queue_survives_SIGKILL_when_the_mqueue_file_system_is_mounted()
    {
        var (mounted, reason) = MessageQueueMount.EnsureMounted();
        Assert.True(mounted, reason); // a clear reason, never a silent skip
        var name = $"killsafe-vt-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var path = DeleteLater(Path.Combine("/dev/mqueue", name));

        var run = await KillRun.RunAsync(Child("mqueue", args: name));
        Assert.True(run.Leaks.MessageQueuesMounted);
        var queue = Assert.Single(run.Leaks.Leftovers, l => l.Kind == LeftoverKind.PosixMessageQueue);
        Assert.Equal(path, queue.Identity);
        Assert.Equal(Liveness.Dead, queue.Owner.Alive);
        Assert.Equal("rm " + path, queue.RemovalCommand);
    }

    [Fact]
    public async Task A_SysV_semaphore_has_no_recorded_owner_and_sweep_leaves_it_alone()
    {
        var run = await KillRun.RunAsync(Child("sem"));
        int id = RemoveLater(SysVKind.Semaphore, IdFrom(run.Output, "ID "));

        var semaphore = Assert.Single(run.Leaks.Leftovers, l => l.Kind == LeftoverKind.SysVSemaphore);
        Assert.Equal($"ipcrm -s {id}", semaphore.RemovalCommand);
        Assert.Equal(Liveness.Unknown, semaphore.Owner.Alive); // /proc/sysvipc/sem has no creator pid: not guessed

        var action = Assert.Single(Sweeper.Sweep(new[] { semaphore }, apply: true));
        Assert.False(action.Removed);
        Assert.Contains("records no creator", action.Reason);
        Assert.Contains(Snapshot.Take(SnapshotOptions).SysV, o => o.Kind == SysVKind.Semaphore && o.Id == id);
    }

    [Theory]
    [InlineData(KillSignal.Kill)]
    [InlineData(KillSignal.Term)]
    [InlineData(KillSignal.Hup)]
    [InlineData(KillSignal.Int)]
    public async Task A_dev_shm_file_survives_every_signal_and_is_swept(KillSignal signal)
    {
        var name = $"killsafe-vt-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var path = DeleteLater(Path.Combine("/dev/shm", name));
        var run = await KillRun.RunAsync(Child("devshm", signal, args: name));

        Assert.Equal(128 + (int)signal, run.ExitCode);
        var file = Assert.Single(run.Leaks.Leftovers, l => l.Identity == path);
        Assert.Equal(LeftoverKind.PosixSharedMemory, file.Kind);
        Assert.Equal(Liveness.Dead, file.Owner.Alive);
        Assert.Equal("rm " + path, file.RemovalCommand);

        Assert.True(Assert.Single(Sweeper.Sweep(new[] { file }, apply: true)).Removed);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task A_socket_file_of_a_killed_child_blocks_the_restart_until_swept()
    {
        var path = Path.Combine(Scratch, "service.sock");
        var run = await KillRun.RunAsync(Child("bind-unix", args: path));

        var socketFile = Assert.Single(run.Leaks.Leftovers, l => l.Kind == LeftoverKind.UnixSocketFile);
        Assert.Equal(path, socketFile.Identity);
        Assert.Equal(Liveness.Dead, socketFile.Owner.Alive);
        var restart = Assert.Single(run.Restart);
        Assert.False(restart.Succeeded);
        Assert.Equal("EADDRINUSE", restart.ErrnoName);

        Assert.True(Assert.Single(Sweeper.Sweep(new[] { socketFile }, apply: true)).Removed);
        Assert.True(RestartCheck.UnixSocketPath(path).Succeeded);
    }

    [Fact]
    public async Task Time_wait_after_a_server_side_close_is_a_restart_hazard_not_a_leak()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        bool served = false;
        var options = Child("listen-tcp", ready: new Readiness.When(() => served || (served = ServeOnce(port)), "one connection served"), args: port.ToString());
        var run = await KillRun.RunAsync(options);

        Assert.Contains(run.Leaks.Hazards, h => h.Description.Contains($"127.0.0.1:{port} ", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Leaks.Leftovers, l => l.Kind == LeftoverKind.TcpListener);
        var restart = Assert.Single(run.Restart);
        Assert.False(restart.Succeeded, "a raw listener cannot bind during TIME_WAIT");
        Assert.Equal("EADDRINUSE", restart.ErrnoName);
        Assert.True(RestartCheck.TcpPort(port, IPAddress.Loopback, reuseAddress: true).Succeeded, "SO_REUSEADDR binds during TIME_WAIT");
    }

    // The client sends its request and reads until the server closes: the server closes first (docs/linux-facts.md).
    private static bool ServeOnce(int port)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            client.Connect(IPAddress.Loopback, port);
        }
        catch (SocketException)
        {
            return false;
        }

        client.Send("hello"u8.ToArray());
        var buffer = new byte[64];
        while (client.Receive(buffer) > 0)
        {
        }

        return true;
    }

    [Fact]
    public async Task A_grandchild_that_outlives_its_parent_is_reported()
    {
        var run = await KillRun.RunAsync(Child("orphan"));
        int orphan = IdFrom(run.Output, "CHILD ");
        KillLater(orphan);

        var process = Assert.Single(run.Leaks.Leftovers, l => l.Kind == LeftoverKind.Process);
        Assert.Equal(orphan, process.Owner.Process!.Pid);
        Assert.Equal($"kill {orphan}", process.RemovalCommand);
    }

    [Fact]
    public async Task Runtime_litter_is_attributed_to_its_dead_owner_and_reported_apart()
    {
        var run = await KillRun.RunAsync(Child("wait", runtimeDiagnostics: true));

        Assert.True(run.Leaks.IsClean, run.Leaks.Describe());
        var diagnostic = Assert.Single(run.Leaks.RuntimeLitter, l => Path.GetFileName(l.Identity).StartsWith("dotnet-diagnostic-", StringComparison.Ordinal));
        Assert.Equal(Liveness.Dead, diagnostic.Owner.Alive);
        Assert.Contains($"-{diagnostic.Owner.Process!.Pid}-", diagnostic.Identity);
    }

    [Fact]
    public async Task Runtime_litter_can_be_ignored_and_the_suppression_is_listed()
    {
        var options = Child("wait", runtimeDiagnostics: true) with { Diff = new DiffOptions { IgnoreRuntimeLitter = true } };
        var run = await KillRun.RunAsync(options);

        Assert.True(run.Passed, run.Leaks.Describe());
        Assert.Empty(run.Leaks.RuntimeLitter);
        Assert.Contains(run.Leaks.Suppressions, s => s.Contains("runtime litter", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_program_that_leaves_nothing_passes()
    {
        var run = await KillRun.RunAsync(Child("wait", KillSignal.Term));
        Assert.Equal(128 + 15, run.ExitCode);
        Assert.True(run.Passed, run.Leaks.Describe());
        Assert.True(run.Leaks.SettleTime < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_dotnet_entry_point_runs_on_the_same_runtime()
    {
        var run = await KillRun.RunAsync(KillRunOptions.ForAssembly(TestChild, new[] { "wait" }, new Readiness.Line("READY")));
        // This child ran with runtime diagnostics on and left its files in the temp directory: sweep them.
        var swept = Sweeper.Sweep(run.Leaks.RuntimeLitter.Where(l => l.Owner.Process?.Pid == run.Pid), apply: true);
        Assert.Equal(128 + 9, run.ExitCode);
        Assert.Contains("READY", run.Output);
        Assert.Contains(swept, a => a.Removed && a.Leftover.Identity.Contains("dotnet-diagnostic-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Readiness_timeout_names_the_wait_and_shows_the_output()
    {
        var options = Child("wait", ready: new Readiness.FileExists(Path.Combine(Scratch, "never")));
        var shortWait = options with { Timeout = TimeSpan.FromSeconds(2) };
        var error = await Assert.ThrowsAsync<VerificationException>(() => KillRun.RunAsync(shortWait));
        Assert.Contains("waiting for file", error.Message);
        Assert.Contains("READY", error.Message);
    }
}
