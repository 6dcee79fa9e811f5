using System.Globalization;
using KillSafe.Verification.Proc;

namespace KillSafe.Verification;

/// <summary>Where a snapshot looks. The defaults are the machine's usual places. Immutable: no method changes it.</summary>
public sealed record SnapshotOptions
{
    /// <summary>Directories whose files and socket files are recorded (not followed through symlinks), default the temp directory.</summary>
    public IReadOnlyList<string> Directories { get; init; } = new[] { Path.GetTempPath() };

    /// <summary>How deep below each directory to look (the runtime's named mutexes live two levels down).</summary>
    public int DirectoryDepth { get; init; } = 3;

    /// <summary>The proc file system (tests point this elsewhere only to feed malformed tables).</summary>
    public string ProcRoot { get; init; } = "/proc";

    /// <summary>POSIX shared memory and named semaphores.</summary>
    public string DevShm { get; init; } = "/dev/shm";

    /// <summary>POSIX message queues, when the mqueue file system is mounted there.</summary>
    public string MQueue { get; init; } = "/dev/mqueue";

    /// <summary>
    /// Whether to read the TCP tables. A scan or sweep reports no listener (a listener closes with its owner), and
    /// each read of /proc/net/tcp walks the kernel's whole connection hash table, so they leave it out.
    /// </summary>
    internal bool IncludeTcp { get; init; } = true;

    /// <summary>
    /// Whether to list, under <see cref="Directories"/>, only what a scan or sweep judges: socket files, FIFOs and
    /// .NET's named-mutex files. Their inventory has no other file (a diff's has), and a temporary folder three
    /// levels deep may hold thousands of regular files and folders, each one a statx(2) otherwise.
    /// </summary>
    internal bool OnlyWhatScanJudges { get; init; }
}

/// <summary>
/// The kernel-persistent and restart-relevant state of the machine at one moment, read from the kernel's
/// own tables: SysV IPC, /dev/shm, /dev/mqueue, Unix sockets, TCP, processes, and files in chosen directories.
/// </summary>
public sealed class Snapshot
{
    private Snapshot()
    {
    }

    /// <summary>When it was taken.</summary>
    public DateTimeOffset TakenAt { get; private init; }

    /// <summary>The options it was taken with.</summary>
    public SnapshotOptions Options { get; private init; } = new();

    /// <summary>Network namespace (<c>net:[inode]</c>): socket tables differ between namespaces.</summary>
    public string NetNamespace { get; private init; } = "";

    /// <summary>IPC namespace (<c>ipc:[inode]</c>): SysV and POSIX message queues differ between namespaces.</summary>
    public string IpcNamespace { get; private init; } = "";

    /// <summary>SysV shared memory, semaphores and message queues.</summary>
    public IReadOnlyList<SysVObject> SysV { get; private init; } = Array.Empty<SysVObject>();

    /// <summary>Entries of /dev/shm (POSIX shared memory; <c>sem.*</c> are named semaphores).</summary>
    public IReadOnlyList<FileEntry> DevShm { get; private init; } = Array.Empty<FileEntry>();

    /// <summary>Entries of /dev/mqueue, or null when the mqueue file system is not mounted there.</summary>
    public IReadOnlyList<FileEntry>? MessageQueues { get; private init; }

    /// <summary>Unix domain sockets of this network namespace (netlink sock_diag; /proc/net/unix where netlink is not available).</summary>
    public IReadOnlyList<UnixSocketEntry> UnixSockets { get; private init; } = Array.Empty<UnixSocketEntry>();

    /// <summary>
    /// True when <see cref="UnixSockets"/> came from sock_diag and so says which file each socket is bound to;
    /// without it no socket file is ever judged stale.
    /// </summary>
    public bool SocketTableHasFiles { get; private init; }

    /// <summary>Rows of /proc/net/unix that could not be read (only when it was the source).</summary>
    public int SkippedSocketRows { get; private init; }

    /// <summary>TCP sockets, IPv4 and IPv6.</summary>
    public IReadOnlyList<TcpEntry> Tcp { get; private init; } = Array.Empty<TcpEntry>();

    /// <summary>Processes.</summary>
    public IReadOnlyList<ProcStat> Processes { get; private init; } = Array.Empty<ProcStat>();

    /// <summary>Files (of every kind, socket files included) in the chosen directories.</summary>
    public IReadOnlyList<FileEntry> Files { get; private init; } = Array.Empty<FileEntry>();

    /// <summary>
    /// Kernel tables that were not there (a kernel without SysV IPC or IPv6, a table hidden by a mount): what
    /// they list was not inspected, and reports say so rather than report nothing.
    /// </summary>
    public IReadOnlyList<string> MissingTables { get; private init; } = Array.Empty<string>();

    /// <summary>Boot time (seconds since the epoch), to compare process start times with SysV change times.</summary>
    public long BootTime { get; private init; }

    /// <summary>Takes a snapshot.</summary>
    /// <exception cref="VerificationEnvironmentException">There is no /proc (not Linux, or not mounted).</exception>
    /// <exception cref="ProcParseException">A kernel table had an unexpected shape.</exception>
    public static Snapshot Take(SnapshotOptions? options = null)
    {
        options ??= new SnapshotOptions();
        var proc = options.ProcRoot;
        if (!Directory.Exists(Path.Combine(proc, "self")))
            throw new VerificationEnvironmentException($"no {proc}: KillSafe verification needs Linux with /proc mounted");

        // sock_diag answers for this process's own network namespace; a ProcRoot other than /proc (tests that
        // feed their own tables) is read from its net/unix.
        var sockets = proc == "/proc" ? UnixSocketDiag.Dump() : null;
        bool fromNetlink = sockets is not null;
        int skipped = 0;
        var missing = new List<string>();
        sockets ??= UnixSocketTable.Parse(ReadOrEmpty(Path.Combine(proc, "net", "unix"), "Num RefCount Protocol Flags Type St Inode Path"), out skipped).ToList();
        return new Snapshot
        {
            TakenAt = DateTimeOffset.UtcNow,
            Options = options,
            NetNamespace = LinkOrUnknown(Path.Combine(proc, "self", "ns", "net")),
            IpcNamespace = LinkOrUnknown(Path.Combine(proc, "self", "ns", "ipc")),
            SysV = ReadSysV(proc, missing),
            DevShm = ListDirectory(options.DevShm, depth: 1),
            MessageQueues = MessageQueueMount.IsMounted(options.MQueue, proc) ? ListDirectory(options.MQueue, depth: 1) : null,
            UnixSockets = sockets,
            SocketTableHasFiles = fromNetlink,
            SkippedSocketRows = skipped,
            Tcp = options.IncludeTcp ? ReadTcp(proc, missing) : Array.Empty<TcpEntry>(),
            Processes = ReadProcesses(proc),
            Files = options.Directories.SelectMany(d => ListDirectory(d, options.DirectoryDepth, options.OnlyWhatScanJudges)).ToList(),
            BootTime = ReadBootTime(proc),
            MissingTables = missing,
        };
    }

    private static IReadOnlyList<SysVObject> ReadSysV(string proc, List<string>? missing = null)
    {
        var result = new List<SysVObject>();
        foreach (var (kind, file) in new[] { (SysVKind.SharedMemory, "shm"), (SysVKind.Semaphore, "sem"), (SysVKind.MessageQueue, "msg") })
        {
            var path = Path.Combine(proc, "sysvipc", file);
            if (File.Exists(path))
                result.AddRange(SysVIpcTable.Parse(kind, ProcFile.ReadAllText(path)));
            else
                missing?.Add(path);
        }

        return result;
    }

    /// <summary>The TCP listeners (IPv4 and IPv6) of this network namespace now, without a whole snapshot.</summary>
    internal static IEnumerable<TcpEntry> TcpListeners(string procRoot = "/proc") => ReadTcp(procRoot).Where(t => t.IsListening);

    private static IReadOnlyList<TcpEntry> ReadTcp(string proc, List<string>? missing = null)
    {
        var result = new List<TcpEntry>();
        foreach (var file in new[] { "tcp", "tcp6" })
        {
            var path = Path.Combine(proc, "net", file);
            if (File.Exists(path))
                result.AddRange(TcpTable.Parse(ProcFile.ReadAllText(path), path));
            else
                missing?.Add(path);
        }

        return result;
    }

    // Runs once over tables of up to tens of thousands of rows: tier-0 code would be several times slower.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static IReadOnlyList<ProcStat> ReadProcesses(string proc)
    {
        var result = new List<ProcStat>();
        foreach (var dir in Directory.EnumerateDirectories(proc))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            var stat = ProcessIdentity.ReadStat(pid, proc);
            if (stat is not null)
                result.Add(stat);
        }

        return result;
    }

    private static long ReadBootTime(string proc)
    {
        var path = Path.Combine(proc, "stat");
        if (!File.Exists(path))
            return 0;
        foreach (var line in ProcFile.ReadLines(path))
        {
            if (line.StartsWith("btime ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(6).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var btime))
                return btime;
        }

        return 0;
    }

    private static string ReadOrEmpty(string path, string header) => File.Exists(path) ? ProcFile.ReadAllText(path) : header;

    private static string LinkOrUnknown(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget ?? "unknown";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    /// <summary>
    /// Lists a directory by lstat, never following symlinks, down to <paramref name="depth"/> levels. With
    /// <paramref name="judgedByScan"/>, only what a scan judges is listed (<see cref="SnapshotOptions.OnlyWhatScanJudges"/>):
    /// the type that readdir gives spares the stat of every other entry.
    /// </summary>
    internal static List<FileEntry> ListDirectory(string directory, int depth, bool judgedByScan = false)
    {
        var result = new List<FileEntry>();
        if (depth > 0 && UnixFile.KindOf(directory) == UnixFileKind.Directory)
            ListEntries(directory, depth, judgedByScan, result);
        return result;
    }

    // Runs once over directories of up to tens of thousands of entries: tier-0 code would be several times slower.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ListEntries(string directory, int depth, bool judgedByScan, List<FileEntry> result)
    {
        // What a scan judges: sockets, FIFOs, .NET's named-mutex files, and the folders they may be in.
        bool mutexFolder = Ownership.IsNamedMutexFile(directory + "/");
        Func<UnixFileKind?, bool>? wanted = !judgedByScan ? null
            : kind => kind is null or UnixFileKind.Socket or UnixFileKind.Fifo || (kind == UnixFileKind.Directory && depth > 1) || (kind == UnixFileKind.Regular && mutexFolder);
        foreach (var (name, kind) in UnixFile.ReadDirectory(directory, wanted) ?? new())
        {
            var path = Path.Join(directory, name);
            if (judgedByScan && kind == UnixFileKind.Directory)
            {
                ListEntries(path, depth - 1, judgedByScan, result); // listed for what is in it, not itself
                continue;
            }

            var info = UnixFile.Stat(path);
            if (info is null)
                continue;
            result.Add(info);
            if (info.Kind == UnixFileKind.Directory && depth > 1)
                ListEntries(path, depth - 1, judgedByScan, result);
        }
    }
}
