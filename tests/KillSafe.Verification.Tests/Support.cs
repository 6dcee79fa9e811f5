using System.Runtime.InteropServices;
using KillSafe.Verification.Proc;
using Xunit;

namespace KillSafe.Verification.Tests;

/// <summary>Tests that create machine-wide kernel objects run one at a time, so diffs see only their own objects.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelState
{
    public const string Name = "kernel state";
}

/// <summary>A scratch directory per test (unique: pid and a guid), watched by snapshots and deleted afterwards.</summary>
public abstract class KernelTest : IDisposable
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly List<int> _sysV = new();
    private readonly List<int> _pids = new();
    private readonly List<string> _paths = new();
    private readonly List<ChildProcess> _helpers = new();

    protected KernelTest()
    {
        Scratch = Path.Combine(Path.GetTempPath(), $"killsafe-vt-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Scratch);
        SnapshotOptions = new SnapshotOptions { Directories = new[] { Scratch } };
    }

    protected string Scratch { get; }

    protected SnapshotOptions SnapshotOptions { get; }

    protected static string TestChild => Path.Combine(AppContext.BaseDirectory, "KillSafe.TestChild.dll");

    protected static string Dotnet => KillRunOptions.DotnetHost;

    /// <summary>
    /// Options to run the test child in <paramref name="mode"/>; no runtime litter unless asked (docs/linux-facts.md).
    /// GNU env resets the signals a shell's background job passes on ignored, and execs the child (same pid).
    /// </summary>
    protected KillRunOptions Child(string mode, KillSignal signal = KillSignal.Kill, bool runtimeDiagnostics = false, Readiness? ready = null, params string[] args) => new()
    {
        FileName = "/usr/bin/env",
        Arguments = new[] { "--default-signal=INT,QUIT,HUP,TERM", Dotnet, TestChild, mode }.Concat(args).ToArray(),
        Environment = new Dictionary<string, string?>
        {
            ["DOTNET_EnableDiagnostics"] = runtimeDiagnostics ? null : "0",
            ["TMPDIR"] = Scratch + "/",
        },
        Ready = ready ?? new Readiness.Line("READY"),
        Signal = signal,
        Timeout = Timeout,
        Snapshot = SnapshotOptions,
    };

    /// <summary>Remember a SysV object to remove at the end, even when the test fails.</summary>
    protected int RemoveLater(SysVKind kind, int id)
    {
        _sysV.Add(kind == SysVKind.SharedMemory ? id : kind == SysVKind.Semaphore ? -id - 1 : throw new NotSupportedException());
        return id;
    }

    /// <summary>Remember a process (started by our child) to end by its pid at the end.</summary>
    protected void KillLater(int pid) => _pids.Add(pid);

    /// <summary>Starts a helper program (a holder, a listener) that is ended by SIGKILL at the end of the test.</summary>
    private protected ChildProcess Helper(string fileName, params string[] arguments)
    {
        var helper = ChildProcess.Start(fileName, arguments, new Dictionary<string, string?> { ["DOTNET_EnableDiagnostics"] = "0" });
        _helpers.Add(helper);
        return helper;
    }

    /// <summary>Debian's Python (the pyenv shim on PATH is not every user's), or a failure that says it is missing.</summary>
    protected static string Python
    {
        get
        {
            Assert.True(File.Exists("/usr/bin/python3"), "Debian's python3 (/usr/bin/python3) is needed: apt-get install python3");
            return "/usr/bin/python3";
        }
    }

    /// <summary>Remember a path outside the scratch directory to delete at the end.</summary>
    protected string DeleteLater(string path)
    {
        _paths.Add(path);
        return path;
    }

    /// <summary>bind(2) then close(2) without unlink(2): the socket file stays with nothing bound to it.</summary>
    protected static unsafe void StaleSocketFile(string path)
    {
        int fd = Tmds.Linux.LibC.socket(Tmds.Linux.LibC.AF_UNIX, Tmds.Linux.LibC.SOCK_STREAM, 0);
        Assert.True(fd >= 0);
        var address = default(Tmds.Linux.sockaddr_un);
        address.sun_family = Tmds.Linux.LibC.AF_UNIX;
        var bytes = System.Text.Encoding.UTF8.GetBytes(path);
        for (int i = 0; i < bytes.Length; i++)
            address.sun_path[i] = bytes[i];
        Assert.Equal(0, Tmds.Linux.LibC.bind(fd, (Tmds.Linux.sockaddr*)&address, Tmds.Linux.SizeOf.sockaddr_un));
        Tmds.Linux.LibC.close(fd);
    }

    /// <summary>mkfifo(3): a named pipe at <paramref name="path"/>.</summary>
    protected static unsafe void Fifo(string path)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
            Assert.Equal(0, Tmds.Linux.LibC.mkfifo(p, 0x180));
    }

    /// <summary>A snapshot of the scratch directory only, and the inventory entry for <paramref name="path"/> in it (null when it is not one).</summary>
    protected Leftover? InventoryEntry(string path) => Leaks.Inventory(Snapshot.Take(SnapshotOptions)).SingleOrDefault(l => l.Identity == path);

    protected static int IdFrom(string output, string prefix) =>
        int.Parse(output.Split('\n').First(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..].Trim());

    public void Dispose()
    {
        foreach (var helper in _helpers)
            helper.Dispose();
        foreach (var encoded in _sysV)
        {
            if (encoded >= 0)
                Native.shmctl(encoded, 0, IntPtr.Zero);
            else
                Native.semctl(-encoded - 1, 0, 0);
        }

        foreach (var pid in _pids)
            Tmds.Linux.LibC.kill(pid, 9);
        foreach (var path in _paths)
            File.Delete(path);
        Directory.Delete(Scratch, recursive: true);
    }
}

internal static partial class Native
{
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int shmget(int key, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int shmctl(int id, int command, IntPtr buffer);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int semctl(int id, int semaphore, int command);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial IntPtr shmat(int id, IntPtr address, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int shmdt(IntPtr address);
}
