using System.Net.Sockets;
using KillSafe.Verification.Proc;
using Xunit;

namespace KillSafe.Verification.Tests;

/// <summary>
/// "Dead" only when proven: each case of the runtime-safety issue with a real kernel object and a real process.
/// Sweep never removes what a live program uses, and one odd object never breaks a scan.
/// </summary>
[Collection(KernelState.Name)]
public sealed class SweepSafetyTests : KernelTest
{
    private static string UniqueName(string what) => $"killsafe-vt-{Environment.ProcessId}-{what}-{Guid.NewGuid():N}";

    [Fact]
    public void A_dev_shm_object_nobody_maps_now_is_not_proven_stale_and_sweep_leaves_it()
    {
        // PostgreSQL keeps live dynamic shared memory that no process maps for long stretches (docs/linux-facts.md).
        var path = DeleteLater(Path.Combine("/dev/shm", UniqueName("unmapped")));
        File.WriteAllText(path, "state a live program opens by name later");

        var entry = Leaks.Inventory(Snapshot.Take(SnapshotOptions)).Single(l => l.Identity == path);
        Assert.Equal(Liveness.Unknown, entry.Owner.Alive);
        Assert.Contains("not held open or mapped by any process", entry.Owner.Evidence);
        Assert.DoesNotContain("dead", entry.Owner.Evidence); // its creator (this process) still runs
        var action = Assert.Single(Sweeper.Sweep(new[] { entry }, apply: true));
        Assert.Equal(SweepOutcome.Skipped, action.Outcome);
        Assert.Contains("not proven stale", action.Reason);
        Assert.Contains("--only " + path, action.Reason);
        Assert.True(File.Exists(path));
        Assert.Contains(Leaks.Scan(Snapshot.Take(SnapshotOptions)).Unproven, l => l.Identity == path);

        // The user's word removes it...
        Assert.True(Assert.Single(Sweeper.Sweep(new[] { entry }, new SweepOptions { Apply = true, Vouched = new HashSet<string> { path } })).Removed);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_dev_shm_object_held_open_is_in_use_even_when_the_user_names_it()
    {
        var path = DeleteLater(Path.Combine("/dev/shm", UniqueName("held")));
        using var holder = new FileStream(path, FileMode.Create, FileAccess.ReadWrite);
        var entry = Leaks.Inventory(Snapshot.Take(SnapshotOptions)).Single(l => l.Identity == path);
        Assert.Equal(Liveness.Alive, entry.Owner.Alive);
        Assert.Equal(Environment.ProcessId, entry.Owner.Process!.Pid);
        Assert.Contains($"pid {Environment.ProcessId} (", entry.Owner.Evidence);
        var action = Assert.Single(Sweeper.Sweep(new[] { entry }, new SweepOptions { Apply = true, Vouched = new HashSet<string> { path } }));
        Assert.Equal(SweepOutcome.Skipped, action.Outcome);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task A_dev_shm_object_mapped_after_its_descriptor_closed_is_in_use_after_a_socket_was_judged()
    {
        // A program may close the descriptor once the object is mapped (mmap(2) itself, as Python's mmap module
        // keeps a copy of the descriptor): only /proc/<pid>/maps shows it. A socket
        // file is judged first here, by descriptors alone, so the mappings are read later, on their first need.
        var path = DeleteLater(Path.Combine("/dev/shm", UniqueName("mapped")));
        var holder = Helper(Python, "-c", "import ctypes,os,sys,time\nfd=os.open(sys.argv[1],os.O_CREAT|os.O_RDWR,0o600)\nos.ftruncate(fd,4096)\nlibc=ctypes.CDLL(None,use_errno=True)\nlibc.mmap.restype=ctypes.c_void_p\nlibc.mmap.argtypes=[ctypes.c_void_p,ctypes.c_size_t,ctypes.c_int,ctypes.c_int,ctypes.c_int,ctypes.c_long]\nassert libc.mmap(None,4096,3,1,fd,0) not in (None,2**64-1)\nos.close(fd)\nprint('READY',flush=True)\ntime.sleep(120)", path);
        await holder.WaitForOutputAsync("READY", Timeout);
        var socketPath = Path.Combine(Scratch, "stale.sock");
        StaleSocketFile(socketPath);

        var snapshot = Snapshot.Take(SnapshotOptions);
        var ownership = new Ownership(snapshot);
        Assert.Equal(Liveness.Dead, ownership.OfSocketFile(snapshot.Files.Single(f => f.Path == socketPath)).Alive);
        var owner = ownership.OfNamedObject(snapshot.DevShm.Single(f => f.Path == path));

        Assert.Equal(Liveness.Alive, owner.Alive);
        Assert.Equal(holder.Pid, owner.Process!.Pid);
        Assert.Contains($"held open or mapped by pid {holder.Pid} (python3)", owner.Evidence);
        var entry = Leaks.Inventory(snapshot).Single(l => l.Identity == path);
        Assert.False(Assert.Single(Sweeper.Sweep(new[] { entry }, new SweepOptions { Apply = true, Vouched = new HashSet<string> { path } })).Removed);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task A_segment_whose_creator_died_is_kept_while_its_last_user_runs()
    {
        var run = await KillRun.RunAsync(Child("shm"));
        int id = RemoveLater(SysVKind.SharedMemory, IdFrom(run.Output, "ID "));
        var address = Native.shmat(id, IntPtr.Zero, 0); // this process attaches and detaches: lpid is ours, nattch 0
        Assert.NotEqual(new IntPtr(-1), address);
        Assert.Equal(0, Native.shmdt(address));

        var entry = Leaks.Inventory(Snapshot.Take(SnapshotOptions)).Single(l => l.Id is SysVResource { Id: var i } && i == id);
        Assert.Equal(0, entry.Attached);
        Assert.Equal(Liveness.Alive, entry.Owner.Alive);
        Assert.Equal(Environment.ProcessId, entry.Owner.Process!.Pid);
        Assert.Contains("last attached or detached by", entry.Owner.Evidence);
        Assert.False(Assert.Single(Sweeper.Sweep(new[] { entry }, apply: true)).Removed);
        Assert.Contains(Snapshot.Take(SnapshotOptions).SysV, o => o.Id == id);
    }

    [Fact]
    public async Task Keys_print_as_ipcs_prints_them_and_a_live_creator_is_named()
    {
        int key = unchecked((int)(0xd5000000u | ((uint)Environment.ProcessId & 0xffffff))); // a negative key_t
        int id = RemoveLater(SysVKind.SharedMemory, Native.shmget(key, 4096, 0x200 | 0x180));
        Assert.True(id >= 0);
        var entry = Leaks.Inventory(Snapshot.Take(SnapshotOptions)).Single(l => l.Id is SysVResource { Id: var i } && i == id);
        var keyText = $"0x{unchecked((uint)key):x8}";
        Assert.Equal($"key {keyText} id {id}", entry.Identity);

        using var ipcs = ChildProcess.Start("ipcs", new[] { "-m" });
        await ipcs.WaitForExitAsync(Timeout);
        Assert.Contains(ipcs.Output.Split('\n'), line => line.StartsWith(keyText + " ", StringComparison.Ordinal) && line.Contains($" {id} ", StringComparison.Ordinal));
        Assert.Equal(Liveness.Alive, entry.Owner.Alive);
        Assert.Contains($"created by pid {Environment.ProcessId} (", entry.Owner.Evidence);
        Assert.Equal(Environment.ProcessId, entry.Owner.Process!.Pid);
    }

    [Fact]
    public async Task A_socket_bound_through_a_symlinked_directory_a_double_slash_or_a_relative_path_is_alive()
    {
        var real = Directory.CreateDirectory(Path.Combine(Scratch, "real")).FullName;
        var link = Path.Combine(Scratch, "link");
        File.CreateSymbolicLink(link, real);
        using var viaLink = Listen(link + "/via-link.sock");
        using var doubled = Listen(Scratch + "//double.sock");
        using var relative = ChildProcess.Start(Dotnet, new[] { TestChild, "bind-unix", "relative.sock" }, new Dictionary<string, string?> { ["DOTNET_EnableDiagnostics"] = "0" }, workingDirectory: real);
        await relative.WaitForOutputAsync("READY", Timeout);

        // /proc/net/unix spells each path as it was passed to bind: none of them is the path of the file.
        var table = UnixSocketTable.Parse(File.ReadAllText("/proc/net/unix"));
        Assert.Contains(table, s => s.Path == link + "/via-link.sock");
        Assert.Contains(table, s => s.Path == "relative.sock");

        var snapshot = Snapshot.Take(SnapshotOptions);
        var inventory = Leaks.Inventory(snapshot);
        foreach (var (path, pid) in new[] { (Path.Combine(real, "via-link.sock"), Environment.ProcessId), (Path.Combine(Scratch, "double.sock"), Environment.ProcessId), (Path.Combine(real, "relative.sock"), relative.Pid) })
        {
            var entry = inventory.Single(l => l.Identity == path);
            Assert.Equal(Liveness.Alive, entry.Owner.Alive);
            Assert.Equal(pid, entry.Owner.Process!.Pid);
        }

        Assert.DoesNotContain(Leaks.Scan(snapshot).Leftovers, l => l.Kind == LeftoverKind.UnixSocketFile);
        Assert.DoesNotContain(Sweeper.Sweep(inventory, apply: true), a => a.Removed);
    }

    [Fact]
    public async Task A_socket_file_served_from_another_network_namespace_is_alive()
    {
        var path = Path.Combine(Scratch, "other-netns.sock");
        var server = Helper("/usr/bin/unshare", "--net", Python, "-c",
            "import socket,sys,time\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen(8)\nprint('READY',flush=True)\ntime.sleep(120)", path);
        await server.WaitForOutputAsync("READY", Timeout);

        var snapshot = Snapshot.Take(SnapshotOptions);
        var file = UnixFile.Stat(path)!;
        Assert.DoesNotContain(snapshot.UnixSockets, s => s.IsBoundTo(file.Identity)); // our socket table cannot see it
        var entry = Leaks.Inventory(snapshot).Single(l => l.Identity == path);
        Assert.Equal(Liveness.Alive, entry.Owner.Alive);
        Assert.Contains("accepts connections", entry.Owner.Evidence);
        Assert.False(Assert.Single(Sweeper.Sweep(new[] { entry }, apply: true)).Removed);
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(path));
    }

    [Fact]
    public async Task A_socket_file_whose_path_is_longer_than_sun_path_is_judged_through_its_directory()
    {
        // A program binds such a path from inside its folder (a relative name); no sockaddr_un can hold the whole path.
        var deep = Path.Combine(Scratch, new string('d', 60), new string('e', 40));
        Directory.CreateDirectory(deep);
        var stale = Path.Combine(deep, "stale.sock");
        var served = Path.Combine(deep, "served.sock");
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(stale) > 108, stale);
        const string bindHere = "import os,socket,sys,time\nos.chdir(sys.argv[1])\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[2])\ns.listen(8)\nprint('READY',flush=True)\n";
        using (var once = ChildProcess.Start(Python, new[] { "-c", bindHere, deep, "stale.sock" }))
            Assert.Equal(0, await once.WaitForExitAsync(Timeout)); // exits without unlink(2): the file stays
        var server = Helper("/usr/bin/unshare", "--net", Python, "-c", bindHere + "time.sleep(120)", deep, "served.sock");
        await server.WaitForOutputAsync("READY", Timeout);

        var inventory = Leaks.Inventory(Snapshot.Take(SnapshotOptions));
        var dead = inventory.Single(l => l.Identity == stale);
        Assert.Equal(Liveness.Dead, dead.Owner.Alive);
        var alive = inventory.Single(l => l.Identity == served);
        Assert.Equal(Liveness.Alive, alive.Owner.Alive); // our socket table cannot see it: only connect(2) can tell
        Assert.Contains("accepts connections", alive.Owner.Evidence);
        Assert.False(Assert.Single(Sweeper.Sweep(new[] { alive }, apply: true)).Removed);
        Assert.True(Assert.Single(Sweeper.Sweep(new[] { dead }, apply: true)).Removed);
        Assert.False(File.Exists(stale));
    }

    [Fact]
    public void An_abstract_name_with_a_newline_breaks_no_scan()
    {
        var name = $"killsafe-vt-{Environment.ProcessId}\nodd name";
        using var odd = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        odd.Bind(new UnixDomainSocketEndPoint("\0" + name));
        odd.Listen(1);

        var rows = UnixSocketTable.Parse(File.ReadAllText("/proc/net/unix"), out var skipped); // the fallback survives it
        Assert.True(skipped >= 1, "the name's second line is a row of its own in /proc/net/unix");
        Assert.NotEmpty(rows);
        var snapshot = Snapshot.Take(SnapshotOptions);
        Assert.True(snapshot.SocketTableHasFiles);
        Assert.Contains(snapshot.UnixSockets, s => s.IsAbstract && s.Path == name && s.IsListening);
        Assert.True(Leaks.Scan(snapshot).IsClean);
    }

    [Fact]
    public async Task A_child_that_ignores_SIGINT_is_refused_at_once_instead_of_waited_for()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var options = new KillRunOptions
        {
            FileName = "/bin/sh",
            Arguments = new[] { "-c", "trap '' INT; echo READY; exec sleep 60" },
            Ready = new Readiness.Line("READY"),
            Signal = KillSignal.Int,
            Snapshot = SnapshotOptions,
        };
        var error = await Assert.ThrowsAsync<VerificationException>(() => KillRun.RunAsync(options));
        Assert.Contains("ignores SIGINT", error.Message);
        Assert.Contains("env --default-signal=INT", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");

        // The same program with SIGINT at its default is ended by it.
        var run = await KillRun.RunAsync(options with { Arguments = new[] { "-c", "echo READY; exec sleep 60" } });
        Assert.Equal(128 + 2, run.ExitCode);
    }

    [Fact]
    public async Task A_leftover_that_replaced_an_older_one_with_the_same_name_is_still_the_programs()
    {
        var path = Path.Combine(Scratch, "service.sock");
        StaleSocketFile(path); // an older run's stale file: the program removes it and binds its own
        var run = await KillRun.RunAsync(Child("bind-unix-fresh", args: path));

        var socketFile = Assert.Single(run.Leaks.Leftovers, l => l.Kind == LeftoverKind.UnixSocketFile);
        Assert.Equal(path, socketFile.Identity);
        Assert.Equal(Liveness.Dead, socketFile.Owner.Alive);
        Assert.False(run.Passed);
    }

    [Fact]
    public async Task A_ready_file_that_was_there_before_the_start_is_not_a_readiness_signal()
    {
        var ready = Path.Combine(Scratch, "ready");
        File.WriteAllText(ready, "from an earlier run");
        var options = Child("wait", ready: new Readiness.FileExists(ready)) with { Timeout = TimeSpan.FromSeconds(2) };
        var error = await Assert.ThrowsAsync<VerificationException>(() => KillRun.RunAsync(options));
        Assert.Contains("one was there before the program started", error.Message);
    }

    [Fact]
    public async Task A_ready_file_the_program_makes_is_listed_apart_and_fails_nothing()
    {
        var ready = Path.Combine(Scratch, "ready");
        File.WriteAllText(ready, "from an earlier run");
        var run = await KillRun.RunAsync(Child("touch", ready: new Readiness.FileExists(ready), args: ready));
        Assert.True(run.Passed, run.Leaks.Describe());
        Assert.Equal(ready, Assert.Single(run.Leaks.ReadinessFiles).Identity);
        Assert.Contains("readiness file left behind", run.Leaks.Describe());
    }

    [Fact]
    public async Task What_other_processes_and_other_users_make_during_the_run_is_not_the_programs()
    {
        var held = DeleteLater(Path.Combine("/dev/shm", UniqueName("other-held")));
        var foreign = DeleteLater(Path.Combine("/dev/shm", UniqueName("other-user")));
        bool started = false;
        var ready = new Readiness.When(
            () =>
            {
                if (!started)
                {
                    started = true;
                    Helper(Python, "-c", "import sys,time\nf=open(sys.argv[1],'w')\nf.write('x')\nf.flush()\nprint('READY',flush=True)\ntime.sleep(120)", held);
                    using var other = ChildProcess.Start("/usr/bin/setpriv", new[] { "--reuid=65534", "--regid=65534", "--clear-groups", Python, "-c", "import sys\nopen(sys.argv[1],'w').write('x')", foreign });
                    Assert.Equal(0, other.WaitForExitAsync(Timeout).GetAwaiter().GetResult());
                }

                return File.Exists(held) && File.Exists(foreign);
            },
            "two other programs to make their objects");
        var run = await KillRun.RunAsync(Child("wait", ready: ready));

        Assert.True(run.Passed, run.Leaks.Describe());
        var notCounted = run.Leaks.NotCounted.Select(l => l.Identity).ToList();
        Assert.Contains(held, notCounted);
        Assert.Contains(foreign, notCounted);
        Assert.Contains(run.Leaks.NotCounted, l => l.Note!.Contains("uid 65534", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_program_that_survives_the_signal_is_said_to_and_what_the_SIGKILL_left_is_marked()
    {
        var name = UniqueName("survivor");
        var path = DeleteLater(Path.Combine("/dev/shm", name));
        var run = await KillRun.RunAsync(Child("hup-survivor", KillSignal.Hup, args: name) with { ExitTimeout = TimeSpan.FromSeconds(2) });

        Assert.True(run.SurvivedSignal);
        Assert.False(run.Passed);
        Assert.Contains("RELOADED", run.Output);
        Assert.Equal(128 + 9, run.ExitCode); // the run's own SIGKILL ended it
        var file = Assert.Single(run.Leaks.Leftovers, l => l.Identity == path);
        Assert.Contains("left after verify's SIGKILL (the program survived SIGHUP)", file.Note);
    }

    [Fact]
    public async Task Port_readiness_sees_an_IPv6_listener_and_leaves_no_TIME_WAIT_of_its_own()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 0));
            port = ((System.Net.IPEndPoint)probe.LocalEndPoint!).Port;
        }

        var run = await KillRun.RunAsync(new KillRunOptions
        {
            FileName = Python,
            Arguments = new[] { "-c", "import socket,sys,time\ns=socket.socket(socket.AF_INET6)\ns.bind(('::1',int(sys.argv[1])))\ns.listen(8)\ntime.sleep(120)", port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            Ready = new Readiness.Port(port),
            Timeout = Timeout,
            Snapshot = SnapshotOptions,
        });

        Assert.Empty(run.Leaks.Hazards); // nothing connected, so nothing is in TIME_WAIT
        var restart = Assert.Single(run.Restart);
        Assert.Contains($"[::1]:{port}", restart.What);
        Assert.True(restart.Succeeded, restart.ToString());
    }

    private static Socket Listen(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(1);
        return socket;
    }
}
