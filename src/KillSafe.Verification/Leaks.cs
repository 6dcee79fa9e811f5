using System.Diagnostics;
using System.Globalization;
using System.Text;
using KillSafe.Verification.Proc;

namespace KillSafe.Verification;

/// <summary>How a diff is judged.</summary>
public sealed class DiffOptions
{
    /// <summary>Leave the .NET runtime's own files out of the report (they are listed as a suppression).</summary>
    public bool IgnoreRuntimeLitter { get; set; }

    /// <summary>
    /// Processes that belong to the run (the harness records the child's descendants; a guard, the test process):
    /// only they are reported as surviving processes or as holders of new TCP listeners.
    /// </summary>
    public ISet<ProcessIdentity> TrackedProcesses { get; } = new HashSet<ProcessIdentity>();

    /// <summary>How long to let the system settle after a process was reaped before the verdict (bounded backoff).</summary>
    public TimeSpan SettleDeadline { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many snapshots the settling may take at most.</summary>
    public int SettleAttempts { get; set; } = 6;
}

/// <summary>The verdict of a scan or a diff.</summary>
public sealed class LeakReport
{
    internal LeakReport(IReadOnlyList<Leftover> leftovers, IReadOnlyList<Leftover> runtimeLitter, IReadOnlyList<RestartHazard> hazards, IReadOnlyList<string> suppressions, bool messageQueuesMounted)
    {
        Leftovers = leftovers;
        RuntimeLitter = runtimeLitter;
        Hazards = hazards;
        Suppressions = suppressions;
        MessageQueuesMounted = messageQueuesMounted;
    }

    /// <summary>What the program left behind, grouped by kind.</summary>
    public IReadOnlyList<Leftover> Leftovers { get; }

    /// <summary>What the .NET runtime itself left (reported apart; empty when ignored on request).</summary>
    public IReadOnlyList<Leftover> RuntimeLitter { get; }

    /// <summary>Conditions that make a restart fail for a while (TIME_WAIT), not leaks.</summary>
    public IReadOnlyList<RestartHazard> Hazards { get; }

    /// <summary>What was left out of the report on request.</summary>
    public IReadOnlyList<string> Suppressions { get; }

    /// <summary>False when /dev/mqueue is not mounted: POSIX message queues could not be inspected.</summary>
    public bool MessageQueuesMounted { get; }

    /// <summary>How long the verdict waited for the system to settle.</summary>
    public TimeSpan SettleTime { get; internal set; }

    /// <summary>True when the program left nothing.</summary>
    public bool IsClean => Leftovers.Count == 0;

    /// <summary>A report for a person: each leftover with its owner and the command that removes it.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        if (IsClean)
            text.AppendLine("nothing left behind");
        foreach (var group in Leftovers.GroupBy(l => l.Kind))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{group.Key}:");
            foreach (var leftover in group)
                text.AppendLine(CultureInfo.InvariantCulture, $"  {leftover.Identity}  owner {leftover.Owner}  remove: {leftover.RemovalCommand}");
        }

        if (RuntimeLitter.Count > 0)
        {
            text.AppendLine(".NET runtime litter (not the program's own):");
            foreach (var leftover in RuntimeLitter)
                text.AppendLine(CultureInfo.InvariantCulture, $"  {leftover.Identity}  owner {leftover.Owner}  remove: {leftover.RemovalCommand}");
        }

        foreach (var hazard in Hazards)
            text.AppendLine(CultureInfo.InvariantCulture, $"restart hazard: {hazard.Description} ({hazard.Advice})");
        foreach (var suppression in Suppressions)
            text.AppendLine(CultureInfo.InvariantCulture, $"suppressed: {suppression}");
        if (!MessageQueuesMounted)
            text.AppendLine("POSIX message queues not inspected: /dev/mqueue is not mounted");
        text.AppendLine(CultureInfo.InvariantCulture, $"settled after {SettleTime.TotalMilliseconds:0} ms");
        return text.ToString();
    }
}

/// <summary>Finds what outlives its owner: in one snapshot (scan) or since a baseline (diff).</summary>
public static class Leaks
{
    /// <summary>Every kernel-persistent thing in <paramref name="snapshot"/>, with its owner.</summary>
    public static IReadOnlyList<Leftover> Inventory(Snapshot snapshot)
    {
        var ownership = new Ownership(snapshot);
        var result = new List<Leftover>();
        foreach (var item in snapshot.SysV)
        {
            var kind = item.Kind switch { SysVKind.SharedMemory => LeftoverKind.SysVSharedMemory, SysVKind.Semaphore => LeftoverKind.SysVSemaphore, _ => LeftoverKind.SysVMessageQueue };
            var owner = ownership.SysVOwner(item);
            // A segment nobody is attached to and whose creator is gone is stale whatever the table says.
            if (item.Kind == SysVKind.SharedMemory && item.Attached > 0 && owner.Alive == Liveness.Dead)
                owner = Owner.Unknown;
            result.Add(new Leftover(kind, $"key 0x{item.Key:x8} id {item.Id}", owner, item.RemovalCommand, Size: item.Size, Attached: item.Kind == SysVKind.SharedMemory ? item.Attached : null));
        }

        foreach (var file in snapshot.DevShm.Where(f => f.Kind == UnixFileKind.Regular))
        {
            var kind = Path.GetFileName(file.Path).StartsWith("sem.", StringComparison.Ordinal) ? LeftoverKind.PosixSemaphore : LeftoverKind.PosixSharedMemory;
            result.Add(new Leftover(kind, file.Path, ownership.HoldersOf(file.Path), "rm " + ShellQuote(file.Path), Size: file.Size));
        }

        foreach (var file in snapshot.MessageQueues ?? Array.Empty<FileEntry>())
            result.Add(new Leftover(LeftoverKind.PosixMessageQueue, file.Path, ownership.HoldersOf(file.Path), "rm " + ShellQuote(file.Path), Size: file.Size));

        foreach (var file in snapshot.Files)
        {
            var litter = ownership.RuntimeLitterOwner(file.Path);
            if (litter is not null)
            {
                result.Add(new Leftover(file.Kind == UnixFileKind.Socket ? LeftoverKind.UnixSocketFile : LeftoverKind.File, file.Path, litter, RemoveCommand(file), IsRuntimeLitter: true, Size: file.Size));
                continue;
            }

            if (file.Kind == UnixFileKind.Socket)
                result.Add(new Leftover(LeftoverKind.UnixSocketFile, file.Path, ownership.SocketFileOwner(file.Path), "rm " + ShellQuote(file.Path)));
        }

        foreach (var listener in snapshot.Tcp.Where(t => t.IsListening))
            result.Add(new Leftover(LeftoverKind.TcpListener, "tcp " + listener.Local, ownership.TcpOwner(listener), "kill the owning process"));
        return result;
    }

    /// <summary>What on this machine outlives its owner now: owner dead, or not recorded by the kernel.</summary>
    public static LeakReport Scan(Snapshot snapshot, DiffOptions? options = null)
    {
        options ??= new DiffOptions();
        var stale = Inventory(snapshot).Where(l => l.Owner.Alive != Liveness.Alive && l.Kind != LeftoverKind.TcpListener).ToList();
        return Report(stale, Array.Empty<RestartHazard>(), snapshot, options);
    }

    /// <summary>
    /// What appeared between <paramref name="before"/> and <paramref name="after"/>: every new kernel-persistent
    /// thing (whoever owns it), new files in the watched directories, tracked processes still running, and
    /// new TIME_WAIT entries as restart hazards.
    /// </summary>
    /// <exception cref="VerificationException">The snapshots come from different network or IPC namespaces.</exception>
    public static LeakReport Diff(Snapshot before, Snapshot after, DiffOptions? options = null)
    {
        options ??= new DiffOptions();
        if (before.NetNamespace != after.NetNamespace || before.IpcNamespace != after.IpcNamespace)
            throw new VerificationException($"snapshots come from different namespaces ({before.NetNamespace} {before.IpcNamespace} vs {after.NetNamespace} {after.IpcNamespace}): not comparable");

        var known = new HashSet<string>(Inventory(before).Select(Key), StringComparer.Ordinal);
        var knownFiles = new HashSet<(string, long)>(before.Files.Select(f => (f.Path, f.Inode)));
        // A new TCP listener counts only when a tracked process holds it: test runners, build servers and
        // other programs open listeners all the time, and a listener closes with its owner anyway.
        var fresh = Inventory(after)
            .Where(l => !known.Contains(Key(l)))
            .Where(l => l.Kind != LeftoverKind.TcpListener || (l.Owner.Process is { } owner && options.TrackedProcesses.Contains(owner)))
            .ToList();

        var ownership = new Ownership(after);
        foreach (var file in after.Files.Where(f => f.Kind is UnixFileKind.Regular or UnixFileKind.Other && !knownFiles.Contains((f.Path, f.Inode))))
        {
            if (ownership.RuntimeLitterOwner(file.Path) is null) // runtime litter is in the inventory already
                fresh.Add(new Leftover(LeftoverKind.File, file.Path, ownership.HoldersOf(file.Path), RemoveCommand(file), Size: file.Size));
        }

        var existed = new HashSet<ProcessIdentity>(before.Processes.Select(p => new ProcessIdentity(p.Pid, p.StartTime)));
        foreach (var process in after.Processes)
        {
            var identity = new ProcessIdentity(process.Pid, process.StartTime);
            if (options.TrackedProcesses.Contains(identity) && !existed.Contains(identity) && process.State != 'Z')
                fresh.Add(new Leftover(LeftoverKind.Process, $"pid {process.Pid} ({process.Command})", new Owner(identity, Liveness.Alive), $"kill {process.Pid}"));
        }

        var oldWaits = new HashSet<string>(before.Tcp.Where(t => t.IsTimeWait).Select(t => t.Local + ">" + t.Remote), StringComparer.Ordinal);
        var hazards = after.Tcp
            .Where(t => t.IsTimeWait && !oldWaits.Contains(t.Local + ">" + t.Remote))
            .Select(t => new RestartHazard($"TIME_WAIT on {t.Local} (peer {t.Remote})", "a listener without SO_REUSEADDR cannot bind this port for up to 60 s"))
            .ToList();
        return Report(fresh, hazards, after, options);
    }

    /// <summary>Diffs against <paramref name="before"/> until the system settles: bounded backoff, then the last verdict.</summary>
    public static async Task<LeakReport> SettleAsync(Snapshot before, SnapshotOptions snapshotOptions, DiffOptions options)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(50);
        LeakReport report;
        for (int attempt = 1; ; attempt++)
        {
            report = Diff(before, Snapshot.Take(snapshotOptions), options);
            if ((report.IsClean && report.RuntimeLitter.All(l => l.Owner.Alive != Liveness.Alive)) || attempt >= options.SettleAttempts || clock.Elapsed + delay > options.SettleDeadline)
                break;
            await Task.Delay(delay).ConfigureAwait(false);
            delay *= 2;
        }

        report.SettleTime = clock.Elapsed;
        return report;
    }

    private static LeakReport Report(List<Leftover> found, IReadOnlyList<RestartHazard> hazards, Snapshot snapshot, DiffOptions options)
    {
        var own = found.Where(l => !l.IsRuntimeLitter).OrderBy(l => l.Kind).ThenBy(l => l.Identity, StringComparer.Ordinal).ToList();
        var litter = found.Where(l => l.IsRuntimeLitter).OrderBy(l => l.Identity, StringComparer.Ordinal).ToList();
        var suppressions = new List<string>();
        if (options.IgnoreRuntimeLitter && litter.Count > 0)
        {
            suppressions.Add($".NET runtime litter ignored on request: {litter.Count} file(s), owners verified from their names");
            litter = new List<Leftover>();
        }

        return new LeakReport(own, litter, hazards, suppressions, snapshot.MessageQueues is not null);
    }

    private static string Key(Leftover leftover) => leftover.Kind + "|" + leftover.Identity;

    private static string RemoveCommand(FileEntry file) => (file.Kind == UnixFileKind.Directory ? "rm -r " : "rm ") + ShellQuote(file.Path);

    /// <summary>Quotes <paramref name="path"/> for a POSIX shell when it needs it.</summary>
    public static string ShellQuote(string path) =>
        path.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:@,".Contains(c)) ? path : "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
