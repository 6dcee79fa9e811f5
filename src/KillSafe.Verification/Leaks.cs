using System.Diagnostics;
using System.Globalization;
using System.Text;
using KillSafe.Verification.Proc;

namespace KillSafe.Verification;

/// <summary>How a diff is judged. Immutable: copy it with <c>with</c>.</summary>
public sealed record DiffOptions
{
    /// <summary>Leave the .NET runtime's own files out of the report (they are listed as a suppression).</summary>
    public bool IgnoreRuntimeLitter { get; init; }

    /// <summary>
    /// Processes that belong to the run (the harness records the child's descendants; a guard, the test process):
    /// only they are reported as surviving processes or as holders of new TCP listeners, and a new object that a
    /// running process outside this set holds is not the run's.
    /// </summary>
    public IReadOnlySet<ProcessIdentity> TrackedProcesses { get; init; } = new HashSet<ProcessIdentity>();

    /// <summary>
    /// The program under test, once it has ended (set by <see cref="KillRun"/>): what its process tree was seen
    /// holding while it ran (<see cref="HeldByRun"/>) and nothing holds now is attributed to it as proven stale.
    /// </summary>
    internal ProcessIdentity? Run { get; init; }

    /// <summary>Objects the program's process tree held while it ran.</summary>
    internal IReadOnlySet<ResourceId> HeldByRun { get; init; } = new HashSet<ResourceId>();

    /// <summary>The program's effective user id, when known: a new object of another user is not the program's.</summary>
    internal uint? RunUid { get; init; }

    /// <summary>The readiness file the caller named: listed apart, never as one of the program's leaks.</summary>
    public string? ReadinessFile { get; init; }

    /// <summary>How long to let the system settle after a process was reaped before the verdict (bounded backoff).</summary>
    public TimeSpan SettleDeadline { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many snapshots the settling may take at most.</summary>
    public int SettleAttempts { get; init; } = 6;

    /// <summary>
    /// In an isolated run (<see cref="IsolatedRun.ShowsThroughFromHost"/>): true for a file of a private folder that
    /// the program did not make or change, because it shows through the private layer from the host's folder.
    /// Such files are the host's, not the run's, and are left out.
    /// </summary>
    internal Func<string, bool>? ShowsThroughFromHost { get; init; }
}

/// <summary>The verdict of a scan or a diff.</summary>
public sealed class LeakReport
{
    internal LeakReport(IReadOnlyList<Leftover> leftovers, IReadOnlyList<Leftover> unproven, IReadOnlyList<Leftover> runtimeLitter, IReadOnlyList<Leftover> notCounted, IReadOnlyList<Leftover> readinessFiles, IReadOnlyList<RestartHazard> hazards, IReadOnlyList<string> suppressions, bool messageQueuesMounted, int skippedSocketRows)
    {
        Leftovers = leftovers;
        Unproven = unproven;
        RuntimeLitter = runtimeLitter;
        NotCounted = notCounted;
        ReadinessFiles = readinessFiles;
        Hazards = hazards;
        Suppressions = suppressions;
        MessageQueuesMounted = messageQueuesMounted;
        SkippedSocketRows = skippedSocketRows;
    }

    /// <summary>A diff: what the program left behind. A scan: what is proven stale.</summary>
    public IReadOnlyList<Leftover> Leftovers { get; }

    /// <summary>A scan: what no process is seen using, but whose staleness cannot be proven (owner unknown). Sweep leaves these.</summary>
    public IReadOnlyList<Leftover> Unproven { get; }

    /// <summary>What the .NET runtime itself left (reported apart; empty when ignored on request).</summary>
    public IReadOnlyList<Leftover> RuntimeLitter { get; }

    /// <summary>A diff: new objects that are not the program's (a running process outside its tree holds them, or another user owns them).</summary>
    public IReadOnlyList<Leftover> NotCounted { get; }

    /// <summary>A diff: the readiness file the caller named, left behind (the test's own signal, not a leak).</summary>
    public IReadOnlyList<Leftover> ReadinessFiles { get; }

    /// <summary>Conditions that make a restart fail for a while (TIME_WAIT), not leaks.</summary>
    public IReadOnlyList<RestartHazard> Hazards { get; }

    /// <summary>What was left out of the report on request.</summary>
    public IReadOnlyList<string> Suppressions { get; }

    /// <summary>False when /dev/mqueue is not mounted: POSIX message queues could not be inspected.</summary>
    public bool MessageQueuesMounted { get; }

    /// <summary>Rows of /proc/net/unix that could not be read (only when netlink was not available).</summary>
    public int SkippedSocketRows { get; }

    /// <summary>How long the verdict waited for the system to settle.</summary>
    public TimeSpan SettleTime { get; internal set; }

    /// <summary>The same report with <paramref name="note"/> on each of the program's leftovers.</summary>
    internal LeakReport WithNote(string note) =>
        new(Leftovers.Select(l => l with { Note = note }).ToList(), Unproven, RuntimeLitter, NotCounted, ReadinessFiles, Hazards, Suppressions, MessageQueuesMounted, SkippedSocketRows) { SettleTime = SettleTime };

    /// <summary>True when the program left nothing (a scan: nothing is proven stale).</summary>
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
                text.AppendLine(CultureInfo.InvariantCulture, $"  {leftover.Identity}  {leftover.Owner}{(leftover.Note is null ? string.Empty : " [" + leftover.Note + "]")}  remove: {leftover.RemovalCommand}");
        }

        foreach (var (title, items) in OtherSections())
        {
            if (items.Count == 0)
                continue;
            text.AppendLine(title);
            foreach (var leftover in items)
                text.AppendLine(CultureInfo.InvariantCulture, $"  {leftover.Kind} {leftover.Identity}  {leftover.Owner}  remove: {leftover.RemovalCommand}");
        }

        foreach (var remark in Remarks())
            text.AppendLine(remark);
        text.AppendLine(CultureInfo.InvariantCulture, $"settled after {SettleTime.TotalMilliseconds:0} ms");
        return text.ToString();
    }

    /// <summary>What the report lists apart from the program's own leftovers, each with the title it is shown under (here and in the CLI).</summary>
    internal IEnumerable<(string Title, IReadOnlyList<Leftover> Items)> OtherSections() =>
    [
        ("not proven stale (owner unknown; sweep leaves these):", Unproven),
        (".NET runtime litter (not the program's own):", RuntimeLitter),
        ("not the program's (held by a process outside its tree, or another user's):", NotCounted),
        ("readiness file left behind (the signal you named, not counted):", ReadinessFiles),
    ];

    /// <summary>One line for each hazard, suppression and part that was not inspected.</summary>
    internal IEnumerable<string> Remarks()
    {
        foreach (var hazard in Hazards)
            yield return $"restart hazard: {hazard.Description} ({hazard.Advice})";
        foreach (var suppression in Suppressions)
            yield return $"suppressed: {suppression}";
        if (!MessageQueuesMounted)
            yield return "POSIX message queues not inspected: /dev/mqueue is not mounted";
        if (SkippedSocketRows > 0)
            yield return string.Create(CultureInfo.InvariantCulture, $"{SkippedSocketRows} row(s) of /proc/net/unix could not be read and were skipped");
    }
}

/// <summary>Finds what outlives its owner: in one snapshot (scan) or since a baseline (diff).</summary>
public static class Leaks
{
    /// <summary>Every kernel-persistent thing in <paramref name="snapshot"/>, with its owner and how that is known.</summary>
    public static IReadOnlyList<Leftover> Inventory(Snapshot snapshot) => Inventory(snapshot, new Ownership(snapshot), includeFiles: false);

    // includeTcp: listeners too. A scan reports none, and judging each one's owner would walk every process's descriptors.
    private static List<Leftover> Inventory(Snapshot snapshot, Ownership ownership, bool includeFiles, bool includeTcp = true)
    {
        var result = new List<Leftover>();
        foreach (var item in snapshot.SysV)
        {
            var kind = item.Kind switch { SysVKind.SharedMemory => LeftoverKind.SysVSharedMemory, SysVKind.Semaphore => LeftoverKind.SysVSemaphore, _ => LeftoverKind.SysVMessageQueue };
            result.Add(new Leftover(kind, new SysVResource(item.Kind, item.Key, item.Id), ownership.OfSysV(item), item.RemovalCommand)
            {
                Size = item.Size,
                Attached = item.Kind == SysVKind.SharedMemory ? item.Attached : null,
            });
        }

        foreach (var file in snapshot.DevShm.Where(f => f.Kind == UnixFileKind.Regular))
        {
            var kind = Path.GetFileName(file.Path).StartsWith("sem.", StringComparison.Ordinal) ? LeftoverKind.PosixSemaphore : LeftoverKind.PosixSharedMemory;
            result.Add(new Leftover(kind, Id(file), ownership.OfNamedObject(file), "rm " + ShellQuote(file.Path)) { Size = file.Size });
        }

        foreach (var file in snapshot.MessageQueues ?? Array.Empty<FileEntry>())
            result.Add(new Leftover(LeftoverKind.PosixMessageQueue, Id(file), ownership.OfNamedObject(file), "rm " + ShellQuote(file.Path)) { Size = file.Size });

        foreach (var file in snapshot.Files)
        {
            if (ownership.OfRuntimeFile(file) is { } litter)
            {
                var kind = file.Kind == UnixFileKind.Socket ? LeftoverKind.UnixSocketFile : LeftoverKind.File;
                result.Add(new Leftover(kind, Id(file), litter, "rm " + ShellQuote(file.Path)) { IsRuntimeLitter = true, Size = file.Size });
            }
            else if (file.Kind == UnixFileKind.Socket)
            {
                result.Add(new Leftover(LeftoverKind.UnixSocketFile, Id(file), ownership.OfSocketFile(file), "rm " + ShellQuote(file.Path)));
            }
            else if (includeFiles && file.Kind is UnixFileKind.Regular or UnixFileKind.Fifo or UnixFileKind.Other)
            {
                result.Add(new Leftover(LeftoverKind.File, Id(file), ownership.OfFile(file), "rm " + ShellQuote(file.Path)) { Size = file.Size });
            }
        }

        foreach (var listener in snapshot.Tcp.Where(t => includeTcp && t.IsListening))
            result.Add(new Leftover(LeftoverKind.TcpListener, new EndpointResource(listener.Local, listener.Inode), ownership.OfTcp(listener), "end the process that holds it"));
        return result;
    }

    /// <summary>
    /// What on this machine outlives its owner now: <see cref="LeakReport.Leftovers"/> holds what is proven
    /// stale, <see cref="LeakReport.Unproven"/> what no process is seen using but whose owner cannot be known.
    /// </summary>
    public static LeakReport Scan(Snapshot snapshot, DiffOptions? options = null) => Scan(snapshot, options, records: null);

    /// <summary>A scan in which <paramref name="records"/> (of earlier verify runs) prove the staleness of the very objects they name.</summary>
    internal static LeakReport Scan(Snapshot snapshot, DiffOptions? options, IReadOnlyList<LeftoverRecord>? records)
    {
        options ??= new DiffOptions();
        // A listener is never a leftover of a scan: it closes with its owner (a restart hazard, which verify reports).
        var inventory = Inventory(snapshot, new Ownership(snapshot), includeFiles: false, includeTcp: false);
        var candidates = LeftoverRecords.Apply(inventory, records ?? Array.Empty<LeftoverRecord>(), snapshot.Options.ProcRoot).Where(l => l.Owner.Alive != Liveness.Alive).ToList();
        var stale = candidates.Where(l => l.IsRuntimeLitter || l.Owner.Alive == Liveness.Dead).ToList();
        var unproven = candidates.Where(l => !l.IsRuntimeLitter && l.Owner.Alive == Liveness.Unknown).ToList();
        return Report(stale, unproven, new List<Leftover>(), new List<Leftover>(), Array.Empty<RestartHazard>(), snapshot, options);
    }

    /// <summary>
    /// What appeared between <paramref name="before"/> and <paramref name="after"/>, compared by identity (a file
    /// removed and made again under the same name is new): every new kernel-persistent thing and new file in the
    /// watched directories that is the run's, tracked processes still running, and new TIME_WAIT entries as
    /// restart hazards. New objects that a running process outside the tracked set holds, or that another user
    /// owns, are listed apart as not the run's.
    /// </summary>
    /// <exception cref="VerificationException">The snapshots come from different network or IPC namespaces.</exception>
    public static LeakReport Diff(Snapshot before, Snapshot after, DiffOptions? options = null)
    {
        options ??= new DiffOptions();
        if (before.NetNamespace != after.NetNamespace || before.IpcNamespace != after.IpcNamespace)
            throw new VerificationException($"snapshots come from different namespaces ({before.NetNamespace} {before.IpcNamespace} vs {after.NetNamespace} {after.IpcNamespace}): not comparable");

        var known = new HashSet<ResourceId>(IdentitiesOf(before));
        var ownership = new Ownership(after);
        var fresh = new List<Leftover>();
        var notCounted = new List<Leftover>();
        var readiness = new List<Leftover>();
        foreach (var item in Inventory(after, ownership, includeFiles: true).Where(l => !known.Contains(l.Id)))
        {
            var owner = item.Owner;
            // A new TCP listener counts only when a tracked process holds it: test runners, build servers and
            // other programs open listeners all the time, and a listener closes with its owner anyway.
            if (item.Kind == LeftoverKind.TcpListener)
            {
                if (owner.Process is { } holder && options.TrackedProcesses.Contains(holder))
                    fresh.Add(item);
                continue;
            }

            if (options.ShowsThroughFromHost is { } fromHost && item.Id is FileResource { Path: var seen } && fromHost(seen))
                continue;

            if (options.ReadinessFile is { } ready && item.Id is FileResource { Path: var path } && path == ready)
            {
                readiness.Add(item);
                continue;
            }

            if (owner.Alive == Liveness.Alive && owner.Process is { } user && !options.TrackedProcesses.Contains(user))
            {
                notCounted.Add(item with { Note = "in use by a process outside the program's tree" });
                continue;
            }

            if (options.RunUid is { } uid && OwnerUid(item, after) is { } objectUid && objectUid != uid)
            {
                notCounted.Add(item with { Note = $"owned by uid {objectUid}; the program ran as uid {uid}" });
                continue;
            }

            fresh.Add(owner.Alive != Liveness.Alive && options.Run is { } program && options.HeldByRun.Contains(item.Id)
                ? item with { Owner = new Owner(program, Liveness.Dead, $"held by the program's process tree (pid {program.Pid}) while it ran, and by nothing now") }
                : item);
        }

        var existed = new HashSet<ProcessIdentity>(before.Processes.Select(p => new ProcessIdentity(p.Pid, p.StartTime)));
        foreach (var process in after.Processes)
        {
            var identity = new ProcessIdentity(process.Pid, process.StartTime);
            if (options.TrackedProcesses.Contains(identity) && !existed.Contains(identity) && process.State != 'Z')
                fresh.Add(new Leftover(LeftoverKind.Process, new ProcessResource(identity, process.Command), new Owner(identity, Liveness.Alive, $"pid {process.Pid} ({process.Command}) still runs") { Command = process.Command }, $"kill {process.Pid}"));
        }

        var oldWaits = new HashSet<string>(before.Tcp.Where(t => t.IsTimeWait).Select(t => t.Local + ">" + t.Remote), StringComparer.Ordinal);
        var hazards = after.Tcp
            .Where(t => t.IsTimeWait && !oldWaits.Contains(t.Local + ">" + t.Remote))
            .Select(t => new RestartHazard($"TIME_WAIT on {t.Local} (peer {t.Remote})", "a listener without SO_REUSEADDR cannot bind this port for up to 60 s"))
            .ToList();
        return Report(fresh, new List<Leftover>(), notCounted, readiness, hazards, after, options);
    }

    /// <summary>Diffs against <paramref name="before"/> until the system settles: bounded backoff, then the last verdict.</summary>
    public static async Task<LeakReport> SettleAsync(Snapshot before, SnapshotOptions snapshotOptions, DiffOptions options, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(50);
        LeakReport report;
        for (int attempt = 1; ; attempt++)
        {
            report = Diff(before, Snapshot.Take(snapshotOptions), options);
            if ((report.IsClean && report.RuntimeLitter.All(l => l.Owner.Alive != Liveness.Alive)) || attempt >= options.SettleAttempts || clock.Elapsed + delay > options.SettleDeadline)
                break;
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay *= 2;
        }

        report.SettleTime = clock.Elapsed;
        return report;
    }

    /// <summary>The identities of everything <paramref name="snapshot"/> holds that a diff compares.</summary>
    internal static IEnumerable<ResourceId> IdentitiesOf(Snapshot snapshot) =>
        snapshot.SysV.Select(o => (ResourceId)new SysVResource(o.Kind, o.Key, o.Id))
            .Concat(snapshot.DevShm.Concat(snapshot.MessageQueues ?? Array.Empty<FileEntry>()).Concat(snapshot.Files).Select(Id))
            .Concat(snapshot.Tcp.Where(t => t.IsListening).Select(t => new EndpointResource(t.Local, t.Inode)));

    private static uint? OwnerUid(Leftover item, Snapshot snapshot) => item.Id switch
    {
        FileResource file => snapshot.DevShm.Concat(snapshot.MessageQueues ?? Array.Empty<FileEntry>()).Concat(snapshot.Files).FirstOrDefault(f => f.Path == file.Path && f.Identity == file.File)?.Uid,
        SysVResource sysV => snapshot.SysV.FirstOrDefault(o => o.Kind == sysV.Kind && o.Id == sysV.Id) is { } o ? (uint)o.CreatorUid : null,
        _ => null,
    };

    private static FileResource Id(FileEntry file) => new(file.Path, file.Identity);

    private static LeakReport Report(List<Leftover> found, List<Leftover> unproven, List<Leftover> notCounted, List<Leftover> readiness, IReadOnlyList<RestartHazard> hazards, Snapshot snapshot, DiffOptions options)
    {
        var own = found.Where(l => !l.IsRuntimeLitter).OrderBy(l => l.Kind).ThenBy(l => l.Identity, StringComparer.Ordinal).ToList();
        var litter = found.Where(l => l.IsRuntimeLitter).OrderBy(l => l.Identity, StringComparer.Ordinal).ToList();
        var suppressions = new List<string>();
        if (options.IgnoreRuntimeLitter && litter.Count > 0)
        {
            suppressions.Add($".NET runtime litter ignored on request: {litter.Count} file(s), owners verified from their names");
            litter = new List<Leftover>();
        }

        return new LeakReport(own, unproven.OrderBy(l => l.Kind).ThenBy(l => l.Identity, StringComparer.Ordinal).ToList(), litter, notCounted, readiness, hazards, suppressions, snapshot.MessageQueues is not null, snapshot.SkippedSocketRows);
    }

    /// <summary>Quotes <paramref name="path"/> for a POSIX shell when it needs it.</summary>
    internal static string ShellQuote(string path) =>
        path.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:@,".Contains(c)) ? path : "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
