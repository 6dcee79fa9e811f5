using System.Net.Sockets;
using KillSafe.Verification.Proc;
using Xunit;

namespace KillSafe.Verification.Tests;

/// <summary>The baseline guard, the machine scan, and the safety rules of sweep.</summary>
[Collection(KernelState.Name)]
public sealed class GuardScanSweepTests : KernelTest
{
    [Fact]
    public async Task The_guard_names_a_leaked_segment_and_its_removal_command()
    {
        var guard = LeakGuard.Start(SnapshotOptions);
        int id = RemoveLater(SysVKind.SharedMemory, Native.shmget(0, 4096, 0x200 | 0x180));
        Assert.True(id >= 0);

        var error = await Assert.ThrowsAsync<LeakException>(() => guard.VerifyNoLeaksAsync());
        Assert.Contains($"ipcrm -m {id}", error.Message);
        var segment = Assert.Single(error.Report.Leftovers, l => l.Kind == LeftoverKind.SysVSharedMemory);
        Assert.Equal(Liveness.Alive, segment.Owner.Alive); // created by this very process
        Assert.Equal(Environment.ProcessId, segment.Owner.Process!.Pid);

        Native.shmctl(id, 0, IntPtr.Zero);
        await guard.VerifyNoLeaksAsync();
    }

    [Fact]
    public async Task The_guard_reports_a_listener_this_process_left_open_but_not_other_programs_listeners()
    {
        var guard = LeakGuard.Start(SnapshotOptions);
        using var leaked = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        leaked.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        leaked.Listen(1);
        var port = ((System.Net.IPEndPoint)leaked.LocalEndPoint!).Port;

        var report = await guard.CheckAsync();
        var listener = Assert.Single(report.Leftovers, l => l.Kind == LeftoverKind.TcpListener);
        Assert.Equal($"tcp 127.0.0.1:{port}", listener.Identity);

        // The same listener seen from a diff that does not track this process: someone else's, not reported.
        var before = Snapshot.Take(SnapshotOptions);
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        other.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        other.Listen(1);
        Assert.DoesNotContain(Leaks.Diff(before, Snapshot.Take(SnapshotOptions)).Leftovers, l => l.Kind == LeftoverKind.TcpListener);
    }

    [Fact]
    public void A_socket_file_a_live_process_listens_on_is_owned_and_never_swept()
    {
        var path = Path.Combine(Scratch, "live.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(1);

        var snapshot = Snapshot.Take(SnapshotOptions);
        Assert.DoesNotContain(Leaks.Scan(snapshot).Leftovers, l => l.Identity == path);
        var entry = Assert.Single(Leaks.Inventory(snapshot), l => l.Identity == path);
        Assert.Equal(Liveness.Alive, entry.Owner.Alive);
        Assert.Equal(Environment.ProcessId, entry.Owner.Process!.Pid);

        var action = Assert.Single(Sweeper.Sweep(new[] { entry }, apply: true));
        Assert.False(action.Removed);
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(path));
    }

    [Fact]
    public unsafe void A_stale_socket_file_is_found_by_scan_and_a_dry_run_changes_nothing()
    {
        var path = Path.Combine(Scratch, "stale.sock");
        StaleSocketFile(path);

        var stale = Assert.Single(Leaks.Scan(Snapshot.Take(SnapshotOptions)).Leftovers, l => l.Identity == path);
        Assert.Equal(Liveness.Dead, stale.Owner.Alive);
        var dryRun = Assert.Single(Sweeper.Sweep(new[] { stale }, apply: false));
        Assert.Equal(SweepOutcome.WouldRemove, dryRun.Outcome);
        Assert.False(dryRun.Removed); // a dry run removes nothing, and says so
        Assert.StartsWith("would run: rm ", dryRun.Reason);
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(path));
    }

    [Fact]
    public void Sweep_never_follows_a_symlink_nor_removes_a_regular_file_as_a_socket()
    {
        var target = Path.Combine(Scratch, "target.sock");
        StaleSocketFile(target);
        var link = Path.Combine(Scratch, "link.sock");
        File.CreateSymbolicLink(link, target);
        var regular = Path.Combine(Scratch, "config.sock");
        File.WriteAllText(regular, "not a socket");

        var dead = new Owner(null, Liveness.Dead, "taken as proven stale by the test");
        var actions = Sweeper.Sweep(new[]
        {
            new Leftover(LeftoverKind.UnixSocketFile, new FileResource(link, default), dead, "rm " + link),
            new Leftover(LeftoverKind.UnixSocketFile, new FileResource(regular, default), dead, "rm " + regular),
        }, apply: true);

        Assert.All(actions, a => Assert.False(a.Removed));
        Assert.Contains("symlink", actions[0].Reason);
        Assert.Contains("found a regular", actions[1].Reason);
        Assert.Equal(UnixFileKind.Symlink, UnixFile.KindOf(link));
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(target));
        Assert.Equal("not a socket", File.ReadAllText(regular));
    }

    [Fact]
    public void Snapshots_of_different_namespaces_are_not_compared()
    {
        Snapshot Fake(string ns)
        {
            var root = Path.Combine(Scratch, "proc-" + ns);
            Directory.CreateDirectory(Path.Combine(root, "self", "ns"));
            File.CreateSymbolicLink(Path.Combine(root, "self", "ns", "net"), $"net:[{ns}]");
            File.CreateSymbolicLink(Path.Combine(root, "self", "ns", "ipc"), "ipc:[1]");
            var options = new SnapshotOptions { ProcRoot = root, DevShm = Path.Combine(Scratch, "none"), MQueue = Path.Combine(Scratch, "none"), Directories = Array.Empty<string>() };
            return Snapshot.Take(options);
        }

        var error = Assert.Throws<VerificationException>(() => Leaks.Diff(Fake("111"), Fake("222")));
        Assert.Contains("different namespaces", error.Message);
    }

    [Fact]
    public void A_machine_without_proc_is_a_clear_error()
    {
        var options = new SnapshotOptions { ProcRoot = Path.Combine(Scratch, "no-proc") };
        var error = Assert.Throws<VerificationEnvironmentException>(() => Snapshot.Take(options));
        Assert.Contains("needs Linux with /proc", error.Message);
    }

    [Fact]
    public void Kernel_tables_that_are_not_there_are_listed_never_read_as_empty()
    {
        var proc = Path.Combine(Scratch, "proc");
        Directory.CreateDirectory(Path.Combine(proc, "self"));
        Directory.CreateDirectory(Path.Combine(proc, "sysvipc"));
        File.WriteAllText(Path.Combine(proc, "sysvipc", "shm"), File.ReadAllText("/proc/sysvipc/shm")); // only shm is there
        var snapshot = Snapshot.Take(new SnapshotOptions { ProcRoot = proc });
        Assert.Equal(new[] { Path.Combine(proc, "sysvipc", "sem"), Path.Combine(proc, "sysvipc", "msg"), Path.Combine(proc, "net", "tcp"), Path.Combine(proc, "net", "tcp6") }, snapshot.MissingTables);
    }
}
