using Xunit;

namespace KillSafe.Verification.Tests;

/// <summary>
/// The .NET runtime's own files are recognised by name and kind together, and judged the way any object is:
/// dead only on proof. Real files, real sockets and FIFOs, real .NET processes.
/// </summary>
[Collection(KernelState.Name)]
public sealed class RuntimeLitterTests : KernelTest
{
    // pid 2147483646 never exists (pid_max is at most 4194304): a name that names a dead owner.
    [Theory]
    [InlineData("dotnet-diagnostic-2147483646-123456-socket")]
    [InlineData("dotnet-diagnostic-2147483646-123456-soc")] // a long TMPDIR: the runtime cut the name at 107 bytes
    [InlineData("dotnet-diagnostic-2147483646-123456-")]
    public void A_stale_diagnostics_socket_is_runtime_litter_proven_dead(string name)
    {
        var path = Path.Combine(Scratch, name);
        StaleSocketFile(path);
        var entry = InventoryEntry(path);
        Assert.NotNull(entry);
        Assert.True(entry!.IsRuntimeLitter);
        Assert.Equal(Liveness.Dead, entry.Owner.Alive);
        Assert.Contains("named for pid 2147483646", entry.Owner.Evidence);
    }

    [Fact]
    public void A_debugger_pipe_of_a_process_that_runs_nowhere_is_dead_and_one_held_open_is_alive()
    {
        var dead = Path.Combine(Scratch, "clr-debug-pipe-2147483646-123456-in");
        Fifo(dead);
        Assert.Equal(Liveness.Dead, InventoryEntry(dead)!.Owner.Alive);

        var held = Path.Combine(Scratch, "clr-debug-pipe-2147483646-123456-out");
        Fifo(held);
        using var reader = new FileStream(held, FileMode.Open, FileAccess.ReadWrite); // O_RDWR: opening a FIFO so does not block
        var entry = InventoryEntry(held)!;
        Assert.Equal(Liveness.Alive, entry.Owner.Alive);
        Assert.Equal(Environment.ProcessId, entry.Owner.Process!.Pid);
    }

    [Theory]
    [InlineData("dotnet-diagnostic-2147483646-12345-socket")]
    [InlineData("clr-debug-pipe-2147483646-12345-in")]
    [InlineData("CoreFxPipe_notes.txt")]
    public void A_regular_file_with_a_runtime_name_is_not_runtime_litter(string name)
    {
        var path = Path.Combine(Scratch, name);
        File.WriteAllText(path, "a user's file");
        Assert.Null(InventoryEntry(path)); // not a socket, not a FIFO: nothing scan judges, nothing sweep may touch
        Assert.DoesNotContain(Leaks.Scan(Snapshot.Take(SnapshotOptions)).RuntimeLitter, l => l.Identity == path);
    }

    [Fact]
    public async Task A_live_named_pipe_server_socket_is_alive()
    {
        var name = $"ks{Guid.NewGuid():N}"[..12]; // short: the socket path must fit in 107 bytes
        // NamedPipeServerStream puts its socket in the temp directory: point a child's TMPDIR at the scratch folder.
        using var child = ChildProcess.Start(Dotnet, new[] { TestChild, "pipe-server", name }, new Dictionary<string, string?> { ["TMPDIR"] = Scratch + "/", ["DOTNET_EnableDiagnostics"] = "0" });
        await child.WaitForOutputAsync("READY", Timeout);
        var path = Path.Combine(Scratch, "CoreFxPipe_" + name);
        var entry = InventoryEntry(path);
        Assert.NotNull(entry);
        Assert.True(entry!.IsRuntimeLitter);
        Assert.Equal(Liveness.Alive, entry.Owner.Alive);
        Assert.Equal(child.Pid, entry.Owner.Process!.Pid);
        Assert.DoesNotContain(Sweeper.Sweep(new[] { entry }, apply: true), a => a.Removed);
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(path));
    }

    [Fact]
    public async Task The_runtime_files_of_a_dotnet_process_in_another_PID_namespace_name_their_real_owner()
    {
        Assert.True(File.Exists("/usr/bin/unshare"), "util-linux unshare is needed to start a process in its own PID namespace");
        // Inside its namespace the child is pid 1, and its runtime names its files for pid 1; pid 1 here is someone else.
        using var child = ChildProcess.Start("/usr/bin/unshare", new[] { "--pid", "--fork", "--mount-proc", Dotnet, TestChild, "wait" }, new Dictionary<string, string?> { ["TMPDIR"] = Scratch + "/" });
        await child.WaitForOutputAsync("READY", Timeout);
        var snapshot = Snapshot.Take(SnapshotOptions);
        var files = Leaks.Inventory(snapshot).Where(l => l.IsRuntimeLitter).ToList();
        Assert.Contains(files, l => Path.GetFileName(l.Identity).StartsWith("dotnet-diagnostic-1-", StringComparison.Ordinal));
        Assert.Contains(files, l => Path.GetFileName(l.Identity).StartsWith("clr-debug-pipe-1-", StringComparison.Ordinal));
        Assert.All(files, l => Assert.Equal(Liveness.Alive, l.Owner.Alive));
        Assert.All(files, l => Assert.NotEqual(1, l.Owner.Process!.Pid));
        Assert.Empty(Leaks.Scan(snapshot).RuntimeLitter);
    }

    [Fact]
    public async Task Named_mutex_files_are_judged_one_by_one_and_never_as_a_directory()
    {
        var name = $"killsafe-vt-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var options = Child("mutex", args: name);
        var shm = new SnapshotOptions { Directories = new[] { "/tmp/.dotnet/shm" }, DirectoryDepth = 2 }; // the runtime keeps named mutexes here whatever TMPDIR says
        using (var child = ChildProcess.Start(options.FileName, options.Arguments, options.Environment))
        {
            await child.WaitForOutputAsync("READY", Timeout);
            var live = Leaks.Inventory(Snapshot.Take(shm)).Single(l => l.Identity.EndsWith("/" + name, StringComparison.Ordinal));
            DeleteLater(live.Identity);
            Assert.Equal(Liveness.Alive, live.Owner.Alive);
            await child.KillAsync(KillSignal.Kill, Timeout);
        }

        var inventory = Leaks.Inventory(Snapshot.Take(shm));
        var file = inventory.Single(l => l.Identity.EndsWith("/" + name, StringComparison.Ordinal));
        Assert.True(file.IsRuntimeLitter);
        Assert.Equal(Liveness.Unknown, file.Owner.Alive); // another .NET process may open it by name: never proven dead
        Assert.DoesNotContain(inventory, l => l.RemovalCommand.StartsWith("rm -r", StringComparison.Ordinal) || UnixFile.KindOf(l.Identity) == UnixFileKind.Directory);
        Assert.DoesNotContain(Sweeper.Sweep(inventory, apply: true), a => a.Removed && a.Leftover.Identity.Contains("/.dotnet/shm", StringComparison.Ordinal));
    }
}
