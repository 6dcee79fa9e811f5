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

    protected KernelTest()
    {
        Scratch = Path.Combine(Path.GetTempPath(), $"killsafe-vt-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Scratch);
        SnapshotOptions = new SnapshotOptions();
        SnapshotOptions.Directories.Clear();
        SnapshotOptions.Directories.Add(Scratch);
    }

    protected string Scratch { get; }

    protected SnapshotOptions SnapshotOptions { get; }

    protected static string TestChild => Path.Combine(AppContext.BaseDirectory, "KillSafe.TestChild.dll");

    protected static string Dotnet => KillRunOptions.DotnetHost;

    /// <summary>Options to run the test child in <paramref name="mode"/>; no runtime litter unless asked (FACTS.md).</summary>
    protected KillRunOptions Child(string mode, KillSignal signal = KillSignal.Kill, bool runtimeDiagnostics = false, Readiness? ready = null, params string[] args) => new()
    {
        FileName = Dotnet,
        Arguments = new[] { TestChild, mode }.Concat(args).ToArray(),
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

    /// <summary>Remember a path outside the scratch directory to delete at the end.</summary>
    protected string DeleteLater(string path)
    {
        _paths.Add(path);
        return path;
    }

    protected static int IdFrom(string output, string prefix) =>
        int.Parse(output.Split('\n').First(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..].Trim());

    public void Dispose()
    {
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
}
