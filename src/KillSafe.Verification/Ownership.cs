using System.Globalization;
using System.Text.RegularExpressions;
using KillSafe.Verification.Proc;

namespace KillSafe.Verification;

/// <summary>
/// Attributes resources of a snapshot to their owners. The walk over /proc/&lt;pid&gt;/fd that maps socket
/// inodes and open files to processes is the expensive part, so it runs once, lazily, and only when a
/// candidate leftover needs it.
/// </summary>
public sealed partial class Ownership
{
    private readonly Snapshot _snapshot;
    private Dictionary<string, List<ProcessIdentity>>? _holders;

    /// <summary>Creates the attribution for <paramref name="snapshot"/>.</summary>
    public Ownership(Snapshot snapshot) => _snapshot = snapshot;

    // A socket path is at most 107 bytes (unix(7)): under a long TMPDIR the runtime cuts the name, so any
    // prefix of "socket" after the key still names the diagnostics socket (pid and key are complete).
    [GeneratedRegex(@"^dotnet-diagnostic-(\d+)-(\d+)-(s(o(c(k(e(t)?)?)?)?)?)?$")]
    private static partial Regex DiagnosticSocket();

    [GeneratedRegex(@"^clr-debug-pipe-(\d+)-(\d+)-(in|out)$")]
    private static partial Regex DebugPipe();

    /// <summary>
    /// Files the .NET runtime itself creates (FACTS.md): the diagnostics socket and debugger pipes, whose
    /// name carries the owner's pid and start time, named pipes (<c>CoreFxPipe_*</c>) and named mutexes
    /// under <c>.dotnet/shm</c>. Returns null for any other file.
    /// </summary>
    public Owner? RuntimeLitterOwner(string path)
    {
        var name = Path.GetFileName(path);
        var match = DiagnosticSocket().Match(name);
        if (!match.Success)
            match = DebugPipe().Match(name);
        if (match.Success)
        {
            var owner = new ProcessIdentity(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
            return new Owner(owner, owner.IsAlive(_snapshot.Options.ProcRoot) ? Liveness.Alive : Liveness.Dead);
        }

        if (name.StartsWith("CoreFxPipe_", StringComparison.Ordinal) || path.Contains("/.dotnet/shm/", StringComparison.Ordinal) || path.EndsWith("/.dotnet/shm", StringComparison.Ordinal))
            return HoldersOf(path);
        return null;
    }

    /// <summary>
    /// The owner of a socket file: the process whose socket is bound to it (/proc/net/unix, then the fd
    /// walk); dead when no socket in the kernel is bound to the path any more.
    /// </summary>
    public Owner SocketFileOwner(string path)
    {
        var bound = _snapshot.UnixSockets.FirstOrDefault(s => !s.IsAbstract && s.Path == path);
        if (bound is null)
            return new Owner(null, Liveness.Dead);
        var holders = Holders("socket:[" + bound.Inode.ToString(CultureInfo.InvariantCulture) + "]");
        return holders.Count > 0 ? new Owner(holders[0], Liveness.Alive) : new Owner(null, Liveness.Unknown);
    }

    /// <summary>The owner of a TCP socket, by inode.</summary>
    public Owner TcpOwner(TcpEntry entry)
    {
        if (entry.Inode == 0)
            return new Owner(null, Liveness.Dead);
        var holders = Holders("socket:[" + entry.Inode.ToString(CultureInfo.InvariantCulture) + "]");
        return holders.Count > 0 ? new Owner(holders[0], Liveness.Alive) : new Owner(null, Liveness.Unknown);
    }

    /// <summary>
    /// The owner of a SysV object: shared memory records its creator pid, which is alive only if a process
    /// with that pid exists that started before the segment was made (a later one reused the pid).
    /// Semaphores and message queues record no creator: unknown.
    /// </summary>
    public Owner SysVOwner(SysVObject item)
    {
        if (item.Kind != SysVKind.SharedMemory || item.CreatorPid <= 0)
            return Owner.Unknown;
        var stat = _snapshot.Processes.FirstOrDefault(p => p.Pid == item.CreatorPid);
        if (stat is null || stat.State == 'Z')
            return new Owner(null, Liveness.Dead);
        var identity = new ProcessIdentity(stat.Pid, stat.StartTime);
        var ticks = ClockTicksPerSecond();
        if (_snapshot.BootTime > 0 && ticks > 0)
        {
            var startedAt = _snapshot.BootTime + stat.StartTime / ticks;
            if (startedAt > item.ChangeTime + 1)
                return new Owner(null, Liveness.Dead); // the pid was reused by a younger process
        }

        return new Owner(identity, Liveness.Alive);
    }

    /// <summary>The processes that hold <paramref name="path"/> open or mapped; dead when none does.</summary>
    public Owner HoldersOf(string path)
    {
        var holders = Holders(path);
        return holders.Count > 0 ? new Owner(holders[0], Liveness.Alive) : new Owner(null, Liveness.Dead);
    }

    private List<ProcessIdentity> Holders(string target)
    {
        _holders ??= WalkDescriptors();
        return _holders.TryGetValue(target, out var list) ? list : new List<ProcessIdentity>();
    }

    private Dictionary<string, List<ProcessIdentity>> WalkDescriptors()
    {
        var map = new Dictionary<string, List<ProcessIdentity>>(StringComparer.Ordinal);
        var proc = _snapshot.Options.ProcRoot;
        foreach (var stat in _snapshot.Processes)
        {
            var identity = new ProcessIdentity(stat.Pid, stat.StartTime);
            var pidDir = Path.Combine(proc, stat.Pid.ToString(CultureInfo.InvariantCulture));
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(pidDir, "fd")))
                {
                    string? target;
                    try
                    {
                        target = new FileInfo(fd).LinkTarget;
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        continue;
                    }

                    if (target is not null)
                        Add(map, target, identity);
                }

                // Mapped shared memory stays in use after its descriptor is closed.
                foreach (var line in File.ReadLines(Path.Combine(pidDir, "maps")))
                {
                    int slash = line.IndexOf('/');
                    if (slash > 0)
                        Add(map, line[slash..].Replace(" (deleted)", string.Empty, StringComparison.Ordinal), identity);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the process ended during the walk, or is not ours to read
            }
        }

        return map;

        static void Add(Dictionary<string, List<ProcessIdentity>> map, string key, ProcessIdentity identity)
        {
            if (!map.TryGetValue(key, out var list))
                map[key] = list = new List<ProcessIdentity>();
            if (!list.Contains(identity))
                list.Add(identity);
        }
    }

    private static long ClockTicksPerSecond()
    {
        const int ScClkTck = 2; // _SC_CLK_TCK in <bits/confname.h>
        return (long)Tmds.Linux.LibC.sysconf(ScClkTck);
    }
}
