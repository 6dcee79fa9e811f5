using System.Runtime.InteropServices;

namespace KillSafe.Verification;

/// <summary>Whether isolated runs are possible here, and why not.</summary>
/// <param name="Available">True when fresh namespaces can be made.</param>
/// <param name="Reason">Why not, in one line (empty when available).</param>
public sealed record IsolationSupport(bool Available, string Reason);

/// <summary>What <see cref="Isolation.PrepareInside"/> set up, as the run inside the namespaces sees it.</summary>
internal sealed class IsolatedRun
{
    private readonly IReadOnlyList<(string Folder, string Upper)> _layers;

    internal IsolatedRun(string description, IReadOnlyList<(string Folder, string Upper)> layers)
    {
        Description = description;
        _layers = layers;
    }

    /// <summary>What is isolated, in words, for the report.</summary>
    public string Description { get; }

    /// <summary>The folders that have a private layer over the host's.</summary>
    public IReadOnlyList<string> PrivateFolders => _layers.Select(l => l.Folder).ToList();

    /// <summary>
    /// True for a path in a private folder that the program did not make or change: the host's folder below the
    /// layer stays live, so files the host makes during the run show through (overlayfs(5)); only what is in
    /// the layer's upper folder is the program's. False for paths outside the private folders.
    /// </summary>
    public bool ShowsThroughFromHost(string path)
    {
        var layer = _layers.Where(l => path.StartsWith(l.Folder + "/", StringComparison.Ordinal)).OrderByDescending(l => l.Folder.Length).FirstOrDefault();
        if (layer.Folder is null)
            return false;
        return UnixFile.KindOf(layer.Upper + path[layer.Folder.Length..]) == UnixFileKind.Missing;
    }
}

/// <summary>What an isolated run keeps private and what it shares with the host. Immutable.</summary>
public sealed record IsolationOptions
{
    /// <summary>
    /// Folders whose changes stay private: the program sees the host's files there, but what it creates, changes
    /// or deletes lands in a private layer (overlayfs over the host folder) that vanishes with the run. The temp
    /// folder is always one of them; /dev/shm and /dev/mqueue are fresh and empty.
    /// </summary>
    public IReadOnlyList<string> PrivateFolders { get; init; } = Array.Empty<string>();

    /// <summary>Folders (inside private ones) that stay shared with the host: what the program writes there stays.</summary>
    public IReadOnlyList<string> SharedFolders { get; init; } = Array.Empty<string>();

    /// <summary>Keep the host's network (no network namespace): the program can reach host services over TCP.</summary>
    public bool ShareNetwork { get; init; }

    /// <summary>
    /// The unshare(1) program (util-linux) that makes the namespaces; the environment variable
    /// <c>KILLSAFE_UNSHARE</c> overrides it (tests point it at a program that fails).
    /// </summary>
    public string Unshare { get; init; } = System.Environment.GetEnvironmentVariable("KILLSAFE_UNSHARE") is { Length: > 0 } custom ? custom : "unshare";
}

/// <summary>
/// Runs a program in namespaces of its own, so that everything found afterwards is the program's by
/// construction and nothing it leaves reaches the host: an IPC namespace (its own SysV objects and POSIX
/// message queues), a mount namespace (a private layer over the temp folder and the chosen folders, a fresh
/// /dev/shm and /dev/mqueue), a network namespace (its own loopback: ports, abstract sockets and TIME_WAIT
/// are its own) and a PID namespace (its process tree; orphans stay inside). When the first process of the
/// PID namespace ends, the kernel ends every other one in it, and the namespaces and what they hold go with
/// them (namespaces(7), pid_namespaces(7), ipc_namespaces(7)). As an ordinary user a user namespace comes
/// first, where the kernel allows it (user_namespaces(7)).
/// </summary>
public static partial class Isolation
{
    private static readonly object ProbeLock = new();
    private static readonly Dictionary<IsolationOptions, IsolationSupport> Probed = new();

    /// <summary>
    /// Tries to make the namespaces once (<c>unshare ... true</c>) and says whether that worked, with the reason
    /// when it did not (no unshare(1), namespaces refused). The answer is kept for the life of the process.
    /// </summary>
    public static IsolationSupport Probe(IsolationOptions? options = null)
    {
        options ??= new IsolationOptions();
        lock (ProbeLock)
        {
            if (Probed.TryGetValue(options, out var known))
                return known;
            var support = ProbeOnce(options);
            Probed[options] = support;
            return support;
        }
    }

    private static IsolationSupport ProbeOnce(IsolationOptions options)
    {
        var command = Command(new[] { "true" }, options);
        ChildProcess probe;
        try
        {
            probe = ChildProcess.Start(command[0], command.Skip(1));
        }
        catch (VerificationException e)
        {
            return new IsolationSupport(false, $"{options.Unshare} cannot be started ({e.Message.Split('\n')[0]}); it comes with util-linux");
        }

        using (probe)
        {
            int exitCode;
            try
            {
                exitCode = probe.WaitForExitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            }
            catch (VerificationException)
            {
                probe.KillTree();
                return new IsolationSupport(false, $"{options.Unshare} did not finish within 10 s");
            }

            var said = probe.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            return exitCode == 0
                ? new IsolationSupport(true, string.Empty)
                : new IsolationSupport(false, $"{options.Unshare} failed with exit code {exitCode}{(said is null ? string.Empty : ": " + said)}");
        }
    }

    /// <summary>
    /// The command line that runs <paramref name="command"/> as the first process of fresh namespaces:
    /// <c>unshare [--user --map-root-user] --ipc --mount --net --pid --fork --mount-proc --propagation private
    /// --kill-child -- COMMAND</c>. The command must set up its mounts itself (<see cref="PrepareInside"/>).
    /// </summary>
    internal static IReadOnlyList<string> Command(IEnumerable<string> command, IsolationOptions options)
    {
        var line = new List<string> { options.Unshare };
        if (Tmds.Linux.LibC.geteuid() != 0)
            line.AddRange(new[] { "--user", "--map-root-user" });
        line.AddRange(new[] { "--ipc", "--mount", "--pid", "--fork", "--mount-proc", "--propagation", "private", "--kill-child" });
        if (!options.ShareNetwork)
            line.Add("--net");
        line.Add("--");
        line.AddRange(command);
        return line;
    }

    /// <summary>
    /// Inside the namespaces (as their first process): a fresh /dev/shm, a private layer over each private
    /// folder (the shared folders bound back from the host), a fresh /dev/mqueue, and the loopback interface up.
    /// Returns what is isolated and how to tell the program's files from the host's.
    /// </summary>
    /// <exception cref="VerificationException">A mount or the loopback failed; the message names the step and the errno.</exception>
    internal static IsolatedRun PrepareInside(IsolationOptions options, string devShm = "/dev/shm", string mqueue = "/dev/mqueue")
    {
        // The private layers need a place for their upper and work folders that the host never sees: a tmpfs
        // on /dev/shm serves while they are mounted, and a second, empty one over it then hides them (the
        // layers keep their folders alive; overlayfs(5), "upperdir" and "workdir").
        Mount("none", devShm, "tmpfs", 0, "mode=1777", "a private tmpfs on " + devShm);
        var staging = Path.Combine(devShm, ".killsafe-layers");
        Directory.CreateDirectory(staging);
        var folders = PrivateTargets(options);
        var shared = new List<(string Path, int Fd)>();
        foreach (var path in options.SharedFolders.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal))
        {
            // Opened before the layer covers it: the bind mount below puts the host's folder back.
            int fd = open(path, OPath | ODirectory);
            if (fd < 0)
                throw new VerificationException($"isolation: cannot open the shared folder {path} ({Errno()})");
            shared.Add((path, fd));
        }

        for (int i = 0; i < folders.Count; i++)
        {
            var upper = Path.Combine(staging, i.ToString(System.Globalization.CultureInfo.InvariantCulture), "upper");
            var work = Path.Combine(staging, i.ToString(System.Globalization.CultureInfo.InvariantCulture), "work");
            Directory.CreateDirectory(upper);
            Directory.CreateDirectory(work);
            Mount("overlay", folders[i], "overlay", 0, $"lowerdir={folders[i]},upperdir={upper},workdir={work}", $"a private layer over {folders[i]}");
        }

        foreach (var (path, fd) in shared)
        {
            Mount($"/proc/self/fd/{fd}", path, null, MsBind | MsRec, null, $"the shared folder {path} back from the host");
            close(fd);
        }

        // The staging folder stays reachable through a descriptor once the fresh tmpfs hides it.
        int stagingFd = open(staging, OPath | ODirectory);
        if (folders.Count > 0 && stagingFd < 0)
            throw new VerificationException($"isolation: cannot open the private layers' folder ({Errno()})");
        var layers = folders.Select((f, i) => (f, $"/proc/self/fd/{stagingFd}/{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}/upper")).ToList();
        Mount("none", devShm, "tmpfs", 0, "mode=1777", "a fresh tmpfs on " + devShm);
        if (Directory.Exists(mqueue))
            Mount("none", mqueue, "mqueue", 0, null, "the message queues of this IPC namespace on " + mqueue);
        if (!options.ShareNetwork)
            LoopbackUp();

        var what = new List<string> { "own IPC, mount, PID" + (options.ShareNetwork ? string.Empty : " and network") + " namespaces" };
        if (folders.Count > 0)
            what.Add("private layer over " + string.Join(", ", folders));
        what.Add($"fresh {devShm}" + (Directory.Exists(mqueue) ? $" and {mqueue}" : string.Empty));
        if (shared.Count > 0)
            what.Add("shared with the host: " + string.Join(", ", shared.Select(s => s.Path)));
        if (!options.ShareNetwork)
            what.Add("own loopback");
        return new IsolatedRun(string.Join("; ", what), layers);
    }

    /// <summary>The private folders that get a layer: the temp folder and the chosen ones, each once, none inside another, none of /dev/shm and /dev/mqueue.</summary>
    private static List<string> PrivateTargets(IsolationOptions options)
    {
        var wanted = new[] { Path.GetTempPath(), "/tmp" }.Concat(options.PrivateFolders)
            .Select(f => Path.GetFullPath(f).TrimEnd('/'))
            .Select(f => f.Length == 0 ? "/" : f)
            .Where(Directory.Exists)
            .Select(f => new DirectoryInfo(f).ResolveLinkTarget(returnFinalTarget: true)?.FullName.TrimEnd('/') ?? f)
            .Distinct(StringComparer.Ordinal)
            .OrderBy(f => f.Length)
            .ToList();
        var targets = new List<string>();
        foreach (var folder in wanted)
        {
            if (folder == "/")
                throw new VerificationException("isolation: the root folder cannot get a private layer; name the folders the program writes to, or run on the host (--host)");
            if (folder.IndexOfAny(new[] { ',', ':', '\\' }) >= 0)
                throw new VerificationException($"isolation: {folder} has a ',', ':' or '\\' in its path, which overlayfs options cannot carry; run on the host (--host)");
            if (folder is "/dev/shm" or "/dev/mqueue" || targets.Any(t => folder.StartsWith(t + "/", StringComparison.Ordinal)))
                continue;
            targets.Add(folder);
        }

        return targets;
    }

    private static void Mount(string source, string target, string? type, ulong flags, string? data, string what)
    {
        if (mount(source, target, type, flags, data) != 0)
            throw new VerificationException($"isolation: cannot mount {what} ({Errno()}); run on the host instead (--host)");
    }

    // ioctl(SIOCGIFFLAGS) and ioctl(SIOCSIFFLAGS) with IFF_UP on "lo" (netdevice(7)): a new network namespace
    // has only a loopback interface, and it is down.
    private static void LoopbackUp()
    {
        int fd = socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);
        if (fd < 0)
            throw new VerificationException($"isolation: cannot open a socket to bring the loopback up ({Errno()})");
        try
        {
            var request = new byte[40]; // struct ifreq: ifr_name[16], then a 24-byte union (ifr_flags first)
            System.Text.Encoding.ASCII.GetBytes("lo").CopyTo(request, 0);
            if (ioctl(fd, SiocGifFlags, request) != 0)
                throw new VerificationException($"isolation: cannot read the loopback's flags ({Errno()})");
            short flags = BitConverter.ToInt16(request, 16);
            BitConverter.GetBytes((short)(flags | 1 /* IFF_UP */)).CopyTo(request, 16);
            if (ioctl(fd, SiocSifFlags, request) != 0)
                throw new VerificationException($"isolation: cannot bring the loopback up ({Errno()})");
        }
        finally
        {
            close(fd);
        }
    }

    private static string Errno()
    {
        int errno = Marshal.GetLastPInvokeError();
        return $"errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}";
    }

    private const int OPath = 0x200000, ODirectory = 0x10000; // O_PATH, O_DIRECTORY (asm-generic/fcntl.h)
    private const ulong MsBind = 4096, MsRec = 16384; // MS_BIND, MS_REC (linux/mount.h)
    private const ulong SiocGifFlags = 0x8913, SiocSifFlags = 0x8914; // linux/sockios.h

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mount(string source, string target, string? filesystemtype, ulong mountflags, string? data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(int fd, ulong request, byte[] argument);
}
