using System.Globalization;
using System.Text.RegularExpressions;
using KillSafe.Verification.Proc;

namespace KillSafe.Verification;

/// <summary>
/// Decides who owns each object of a snapshot and whether it is in use, and says how it knows. "Dead" is
/// given only on proof (a socket file no socket is bound to and that refuses connections; a SysV segment
/// whose creator and last user are gone and that nothing is attached to; a runtime file named for a process
/// that runs nowhere). A POSIX object nobody holds open now is not dead: programs open them by name later
/// (docs/linux-facts.md, "PostgreSQL's dynamic shared memory"). What cannot be read is unknown.
/// The walk over /proc/&lt;pid&gt;/fd and maps runs once, lazily, when an object needs it.
/// </summary>
internal sealed partial class Ownership
{
    private readonly Snapshot _snapshot;
    private Holders? _holders;
    private Dictionary<int, ProcStat>? _byPid;

    public Ownership(Snapshot snapshot) => _snapshot = snapshot;

    // A socket path is at most 107 bytes (unix(7)): under a long TMPDIR the runtime cuts the name, so any
    // prefix of "socket" after the key still names the diagnostics socket (pid and key are complete).
    [GeneratedRegex(@"^dotnet-diagnostic-(\d+)-(\d+)-(s(o(c(k(e(t)?)?)?)?)?)?$")]
    private static partial Regex DiagnosticSocket();

    [GeneratedRegex(@"^clr-debug-pipe-(\d+)-(\d+)-(in|out)$")]
    private static partial Regex DebugPipe();

    private Dictionary<int, ProcStat> ByPid => _byPid ??= _snapshot.Processes.GroupBy(p => p.Pid).ToDictionary(g => g.Key, g => g.First());

    /// <summary>"pid 12 (postgres)".</summary>
    public string Describe(ProcessIdentity process) =>
        ByPid.TryGetValue(process.Pid, out var stat) && stat.StartTime == process.StartTime ? $"pid {process.Pid} ({stat.Command})" : $"pid {process.Pid}";

    private Owner AliveOwner(ProcessIdentity process, string evidence) =>
        new(process, Liveness.Alive, evidence) { Command = ByPid.TryGetValue(process.Pid, out var stat) ? stat.Command : null };

    /// <summary>A POSIX shared memory object, named semaphore or message queue: in use only if held or mapped; never dead by absence.</summary>
    public Owner OfNamedObject(FileEntry file)
    {
        var holders = Walk(mappable: true).OfFile(file.Identity);
        if (holders.Count > 0)
            return AliveOwner(holders[0], $"held open or mapped by {Describe(holders[0])}" + More(holders));
        return Owner.Unknown(NotHeld() + "; the kernel records no creator, and programs open such objects by name later");
    }

    /// <summary>
    /// A socket file: alive when a socket of this network namespace is bound to this very file (device and
    /// inode, sock_diag) or it accepts a connection; dead only when nothing is bound to it and connect() is refused.
    /// </summary>
    public Owner OfSocketFile(FileEntry file)
    {
        var bound = _snapshot.UnixSockets.Where(s => s.IsBoundTo(file.Identity, file.Path)).ToList();
        if (bound.Count > 0)
        {
            foreach (var socket in bound)
            {
                var holders = Walk(mappable: false).OfSocket(socket.Inode);
                if (holders.Count > 0)
                    return AliveOwner(holders[0], $"bound by a socket of {Describe(holders[0])}" + More(holders));
            }

            return Owner.Unknown("a socket is bound to it, but no process this scan can read holds that socket");
        }

        if (!_snapshot.SocketTableHasFiles)
            return Owner.Unknown("the socket table of this system does not say which file a socket is bound to");
        return SocketProbe.Connect(file.Path, out var errno) switch
        {
            ProbeResult.Refused => new Owner(null, Liveness.Dead, "no socket is bound to it and connect() is refused"),
            ProbeResult.Accepted => new Owner(null, Liveness.Alive, "accepts connections (a listener this scan cannot see, for example in another network namespace)"),
            _ => Owner.Unknown(errno == 0 ? "not probed (the path is longer than a socket address holds): not proven stale" : $"connect() failed with errno {errno}: not proven stale"),
        };
    }

    /// <summary>
    /// A SysV object. Shared memory records its creator (cpid) and last user (lpid): dead only when neither
    /// runs and nothing is attached; a pid that now belongs to a younger process does not count. Semaphore
    /// sets record no pid, message queues only their last sender and receiver: unknown unless one runs.
    /// </summary>
    public Owner OfSysV(SysVObject item)
    {
        switch (item.Kind)
        {
            case SysVKind.SharedMemory:
                var creator = RunningSince(item.CreatorPid, item.ChangeTime);
                if (item.Attached > 0)
                {
                    return creator is not null
                        ? AliveOwner(creator, $"created by {Describe(creator)}, which runs; {item.Attached} process(es) attached")
                        : new Owner(null, Liveness.Alive, $"{item.Attached} process(es) attached");
                }

                if (item.CreatorPid <= 0)
                    return Owner.Unknown("the creator is not visible in this PID namespace");
                if (creator is not null)
                    return AliveOwner(creator, $"created by {Describe(creator)}, which runs");
                if (RunningSince(item.LastPid, item.LastUseTime) is { } last)
                    return AliveOwner(last, $"last attached or detached by {Describe(last)}, which runs");
                return new Owner(null, Liveness.Dead, $"creator pid {item.CreatorPid} is gone, nothing is attached" + (item.LastPid > 0 && item.LastPid != item.CreatorPid ? $", last user pid {item.LastPid} is gone" : string.Empty));
            case SysVKind.MessageQueue:
                if (RunningSince(item.LastPid, item.LastUseTime) is { } user)
                    return AliveOwner(user, $"last sent to or received from by {Describe(user)}, which runs");
                return Owner.Unknown("the kernel records no creator for a message queue");
            default:
                return Owner.Unknown("the kernel records no creator for a semaphore set");
        }
    }

    /// <summary>The owner of a TCP socket, by inode.</summary>
    public Owner OfTcp(TcpEntry entry)
    {
        var holders = entry.Inode == 0 ? new List<ProcessIdentity>() : Walk(mappable: false).OfSocket(entry.Inode);
        return holders.Count > 0 ? AliveOwner(holders[0], $"held by {Describe(holders[0])}") : Owner.Unknown("no process this scan can read holds it");
    }

    /// <summary>Any other file of a watched directory: in use when a process holds it open or maps it.</summary>
    public Owner OfFile(FileEntry file)
    {
        var holders = Walk(mappable: true).OfFile(file.Identity);
        return holders.Count > 0 ? AliveOwner(holders[0], $"held open by {Describe(holders[0])}" + More(holders)) : Owner.Unknown(NotHeld());
    }

    /// <summary>
    /// Files the .NET runtime itself creates (docs/linux-facts.md, "The .NET runtime's own litter"), recognised
    /// by name and kind together: the diagnostics socket (a socket), the debugger pipes (FIFOs), whose names
    /// carry the owner's pid and start time, named-pipe sockets (<c>CoreFxPipe_*</c>), and the files of named
    /// mutexes under <c>.dotnet/shm</c> and <c>.dotnet/lockfiles</c>. Null for any other file.
    /// </summary>
    public Owner? OfRuntimeFile(FileEntry file)
    {
        var name = Path.GetFileName(file.Path);
        var match = DiagnosticSocket().Match(name);
        if (match.Success && file.Kind == UnixFileKind.Socket)
        {
            var socket = OfSocketFile(file);
            return socket.Alive == Liveness.Dead ? new Owner(null, Liveness.Dead, $"{NamedFor(match)}; {socket.Evidence}") : socket;
        }

        match = DebugPipe().Match(name);
        if (match.Success && file.Kind == UnixFileKind.Fifo)
        {
            var holders = Walk(mappable: false).OfFile(file.Identity);
            if (holders.Count > 0)
                return AliveOwner(holders[0], $"held open by {Describe(holders[0])}");
            int pid = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            long key = long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            if (ProcessIdentity.FindNamed(_snapshot.Processes, pid, key, _snapshot.Options.ProcRoot) is { } named)
                return AliveOwner(new ProcessIdentity(named.Pid, named.StartTime), $"made by the runtime of pid {named.Pid} ({named.Command}), which runs" + (named.Pid != pid ? $" (pid {pid} in its own PID namespace)" : string.Empty));
            if (Walk(mappable: false).UnreadableDescriptors > 0)
                return Owner.Unknown($"{NamedFor(match)}; " + NotHeld(mappable: false));
            return new Owner(null, Liveness.Dead, $"{NamedFor(match)}, which runs in no PID namespace this system shows; no process holds it");
        }

        if (name.StartsWith("CoreFxPipe_", StringComparison.Ordinal) && file.Kind == UnixFileKind.Socket)
            return OfSocketFile(file);
        if (file.Kind == UnixFileKind.Regular && IsNamedMutexFile(file.Path))
        {
            var holders = Walk(mappable: true).OfFile(file.Identity);
            return holders.Count > 0
                ? AliveOwner(holders[0], $"held open by {Describe(holders[0])}")
                : Owner.Unknown(NotHeld() + "; a .NET named-mutex file, which any .NET process may open by name later");
        }

        return null;
    }

    /// <summary>Whether a regular file at <paramref name="path"/> is one of .NET's named-mutex files (under .dotnet/shm or .dotnet/lockfiles).</summary>
    internal static bool IsNamedMutexFile(string path) =>
        path.Contains("/.dotnet/shm/", StringComparison.Ordinal) || path.Contains("/.dotnet/lockfiles/", StringComparison.Ordinal);

    private static string NamedFor(Match match) => $"named for pid {match.Groups[1].Value} started at tick {match.Groups[2].Value}";

    // A FIFO or a socket cannot be mapped, so only descriptors tell whether one is held.
    private string NotHeld(bool mappable = true)
    {
        var holders = Walk(mappable);
        int unreadable = holders.UnreadableDescriptors + (mappable ? holders.UnreadableMappings : 0);
        var what = mappable ? "held open or mapped" : "held open";
        return unreadable == 0 ? $"not {what} by any process" : $"not {what} by any process this scan could read ({unreadable} process(es) unreadable)";
    }

    private string More(List<ProcessIdentity> holders) => holders.Count > 1 ? $" and {holders.Count - 1} more" : string.Empty;

    /// <summary>The process with <paramref name="pid"/> if it runs and had started by <paramref name="atTime"/> (seconds since the epoch).</summary>
    private ProcessIdentity? RunningSince(int pid, long atTime)
    {
        if (pid <= 0 || !ByPid.TryGetValue(pid, out var stat) || stat.State is 'Z' or 'X')
            return null;
        var ticks = ClockTicksPerSecond();
        if (atTime > 0 && _snapshot.BootTime > 0 && ticks > 0 && _snapshot.BootTime + stat.StartTime / ticks > atTime + 1)
            return null; // a younger process reused the pid
        return new ProcessIdentity(stat.Pid, stat.StartTime);
    }

    /// <summary>
    /// Who holds what: every process's descriptors, walked once, and with <paramref name="mappable"/> (a regular
    /// file: memory stays mapped after its descriptor is closed) every process's mappings too, walked once the
    /// first time a mappable file is judged. A socket or a FIFO cannot be mapped: judging one reads no maps file,
    /// the largest part of the walk (a .NET process maps hundreds of files).
    /// </summary>
    private Holders Walk(bool mappable)
    {
        _holders ??= Holders.WalkDescriptors(_snapshot);
        if (mappable)
            _holders.WalkMappings(_snapshot);
        return _holders;
    }

    private static long ClockTicksPerSecond()
    {
        const int ScClkTck = 2; // _SC_CLK_TCK in <bits/confname.h>
        return (long)Tmds.Linux.LibC.sysconf(ScClkTck);
    }

    /// <summary>
    /// Which processes hold which files and sockets: /proc/&lt;pid&gt;/fd (a socket by inode; a file by the
    /// device and inode of what the descriptor refers to, so a path seen from another mount namespace cannot
    /// be confused with ours) and /proc/&lt;pid&gt;/maps (mapped memory stays in use after its descriptor is closed).
    /// </summary>
    private sealed class Holders
    {
        private readonly Dictionary<(uint, uint, ulong), List<ProcessIdentity>> _files = new();
        private readonly Dictionary<long, List<ProcessIdentity>> _sockets = new();

        /// <summary>How many processes' descriptors could not be read (another user's, or not dumpable).</summary>
        public int UnreadableDescriptors { get; private set; }

        /// <summary>How many processes' mappings could not be read (reading maps takes ptrace access, which even root may lack for pid 1 of a sandbox).</summary>
        public int UnreadableMappings { get; private set; }

        public List<ProcessIdentity> OfFile(FileIdentity file) =>
            _files.TryGetValue((file.DeviceMajor, file.DeviceMinor, file.Inode), out var list) ? list : new List<ProcessIdentity>();

        public List<ProcessIdentity> OfSocket(long inode) => _sockets.TryGetValue(inode, out var list) ? list : new List<ProcessIdentity>();

        private bool _mappingsWalked;

        public static Holders WalkDescriptors(Snapshot snapshot)
        {
            var holders = new Holders();
            foreach (var stat in snapshot.Processes)
            {
                try
                {
                    foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(PidDirectory(snapshot, stat), "fd")))
                    {
                        // The listing was readable and this link is not: neither are the others (the same
                        // ptrace check, proc(5)). They are skipped, as each one would be.
                        if (!holders.AddDescriptor(fd, new ProcessIdentity(stat.Pid, stat.StartTime)))
                            break;
                    }
                }
                catch (UnauthorizedAccessException)
                {
                    holders.UnreadableDescriptors++; // not ours to read: what it holds is unknown, never "nothing"
                }
                catch (IOException)
                {
                    // the process ended during the walk
                }
            }

            return holders;
        }

        /// <summary>Adds every process's mapped files, once.</summary>
        public void WalkMappings(Snapshot snapshot)
        {
            if (_mappingsWalked)
                return;
            _mappingsWalked = true;
            foreach (var stat in snapshot.Processes)
            {
                try
                {
                    var identity = new ProcessIdentity(stat.Pid, stat.StartTime);
                    foreach (var line in ProcFile.ReadAllText(Path.Combine(PidDirectory(snapshot, stat), "maps")).AsSpan().EnumerateLines())
                        AddMapping(line, identity);
                }
                catch (UnauthorizedAccessException)
                {
                    UnreadableMappings++;
                }
                catch (IOException)
                {
                    // the process ended during the walk
                }
            }
        }

        private static string PidDirectory(Snapshot snapshot, ProcStat stat) =>
            Path.Combine(snapshot.Options.ProcRoot, stat.Pid.ToString(CultureInfo.InvariantCulture));

        /// <summary>Records what the descriptor refers to; false when its link may not be read (EACCES, EPERM).</summary>
        private bool AddDescriptor(string fd, ProcessIdentity identity)
        {
            var target = ProcFile.ReadLink(fd, out int errno);
            if (target is null)
                return errno is not (13 or 1); // EACCES, EPERM; anything else (ENOENT: it was closed) passes
            if (target.StartsWith("socket:[", StringComparison.Ordinal) && long.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
            {
                Add(_sockets, inode, identity);
                return true;
            }

            // Only a path names a file whose device and inode can matter (pipes, anonymous inodes and sockets do not).
            if (target.Length > 0 && target[0] == '/' && UnixFile.StatFollowing(fd) is { } entry)
                Add(_files, (entry.Identity.DeviceMajor, entry.Identity.DeviceMinor, entry.Identity.Inode), identity);
            return true;
        }

        // "start-end perms offset major:minor inode path": device in hexadecimal, inode in decimal (proc(5)).
        private void AddMapping(ReadOnlySpan<char> line, ProcessIdentity identity)
        {
            Span<Range> fields = stackalloc Range[6]; // the sixth keeps the rest of the line (the path)
            if (line.Split(fields, ' ', StringSplitOptions.RemoveEmptyEntries) < 5
                || !ulong.TryParse(line[fields[4]], NumberStyles.None, CultureInfo.InvariantCulture, out var inode) || inode == 0)
                return;
            var device = line[fields[3]];
            int colon = device.IndexOf(':');
            if (colon < 0
                || !uint.TryParse(device[..colon], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var major)
                || !uint.TryParse(device[(colon + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var minor))
                return;
            Add(_files, (major, minor, inode), identity);
        }

        private static void Add<TKey>(Dictionary<TKey, List<ProcessIdentity>> map, TKey key, ProcessIdentity identity)
            where TKey : notnull
        {
            if (!map.TryGetValue(key, out var list))
                map[key] = list = new List<ProcessIdentity>();
            if (!list.Contains(identity))
                list.Add(identity);
        }
    }
}
