// Snapshot cost of KillSafe.Verification with 0, 1,000 and 10,000 objects of each kind, side by side in one
// run with (a) the floor: reading the same /proc files and listing the same directories, and (b) the system
// tools that give the same information. Reports medians, and the snapshot/floor ratio as the median of
// pairs run in turn; asserts nothing.
//
//   dotnet run -c Release --project bench/KillSafe.Benchmarks [-- --sizes 0,1000,10000 --iterations 7 --kinds sysv-shm,sysv-sem]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using KillSafe.Verification;

var sizes = new[] { 0, 1000, 10000 };
var kinds = new[] { "sysv-shm", "sysv-sem", "sysv-msg", "dev-shm", "unix-sockets", "tcp-listeners" };
int iterations = 7;
for (int i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--sizes")
        sizes = args[i + 1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
    if (args[i] == "--iterations")
        iterations = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    if (args[i] == "--kinds")
        kinds = args[i + 1].Split(',');
}

var scratch = Path.Combine(Path.GetTempPath(), $"killsafe-bench-{Environment.ProcessId}");
Directory.CreateDirectory(scratch);
var options = new SnapshotOptions { Directories = new[] { scratch } };
var shmLimit = int.Parse(File.ReadAllText("/proc/sys/kernel/shmmni").Trim(), CultureInfo.InvariantCulture);

Console.WriteLine($"iterations per cell: {iterations} (median reported); machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine($"{"kind",-22} {"objects",8} {"killsafe ms",12} {"floor ms",9} {"tools ms",9} {"ks/floor",9} {"tools/ks",9}");
try
{
    foreach (var kind in kinds)
    {
        foreach (var size in sizes)
        {
            using var objects = Objects.Create(kind, size, scratch, shmLimit);
            // Warm up: the code tiered compilation first makes is several times slower, and it replaces methods
            // only after 30 calls and a pause (100 ms) in new compilations; a long-lived process (a test run
            // under LeakGuard) takes snapshots with the optimised code.
            for (int warm = 0; warm < 40; warm++)
            {
                Snapshot.Take(options);
                Floor(scratch);
            }

            Thread.Sleep(300);
            // Snapshot and floor in turn, the ratio taken pair by pair: on a machine whose speed drifts (a shared
            // VM), separate medians of each moved the ratio by 2x from one run to the next.
            var (killsafe, floor, ratio) = Paired(iterations, () => Snapshot.Take(options), () => Floor(scratch));
            var tools = Median(Math.Min(iterations, 3), Tools);
            Console.WriteLine($"{kind,-22} {objects.Count,8} {killsafe,12:0.00} {floor,9:0.00} {tools,9:0.00} {ratio,9:0.00} {tools / killsafe,9:0.00}");
        }
    }
}
finally
{
    Directory.Delete(scratch, recursive: true);
}

// Medians of A's and B's times, and the median of A/B over the pairs.
static (double A, double B, double Ratio) Paired(int count, Action a, Action b)
{
    var times = new List<(double A, double B)>();
    for (int i = 0; i < count; i++)
    {
        var clock = Stopwatch.StartNew();
        a();
        var first = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        b();
        times.Add((first, clock.Elapsed.TotalMilliseconds));
    }

    static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    return (MedianOf(times.Select(t => t.A)), MedianOf(times.Select(t => t.B)), MedianOf(times.Select(t => t.A / t.B)));
}

static double Median(int count, Action action)
{
    var times = new List<double>();
    for (int i = 0; i < count; i++)
    {
        var clock = Stopwatch.StartNew();
        action();
        times.Add(clock.Elapsed.TotalMilliseconds);
    }

    times.Sort();
    return times[times.Count / 2];
}

// The raw cost of the same reads: every table KillSafe parses, every process's stat, the same listings
// with one lstat(2) per entry (the file type and size are part of the information).
static void Floor(string scratch)
{
    foreach (var file in new[] { "/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg", "/proc/net/unix", "/proc/net/tcp", "/proc/net/tcp6", "/proc/stat", "/proc/self/mounts" })
        File.ReadAllBytes(file);
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        if (char.IsAsciiDigit(Path.GetFileName(dir)[0]))
        {
            try
            {
                File.ReadAllBytes(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
            }
        }
    }

    foreach (var dir in new[] { "/dev/shm", scratch })
    {
        foreach (var entry in Directory.GetFileSystemEntries(dir))
            RawLstat(entry);
    }
}

static unsafe void RawLstat(string path)
{
    Span<byte> bytes = stackalloc byte[System.Text.Encoding.UTF8.GetMaxByteCount(path.Length) + 1];
    int length = System.Text.Encoding.UTF8.GetBytes(path, bytes);
    bytes[length] = 0;
    Tmds.Linux.stat st;
    fixed (byte* p = bytes)
        Tmds.Linux.LibC.lstat(p, &st);
}

static void Tools()
{
    foreach (var (tool, arguments) in new[] { ("ipcs", "-a"), ("ss", "-xa"), ("ss", "-tan"), ("ls", "-la /dev/shm") })
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, UseShellExecute = false })!;
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
    }
}

/// <summary>N real objects of one kind, removed on dispose.</summary>
internal sealed class Objects : IDisposable
{
    private readonly List<Action> _cleanup = new();

    public int Count { get; private set; }

    public static Objects Create(string kind, int count, string scratch, int shmLimit)
    {
        var objects = new Objects();
        try
        {
            for (int i = 0; i < count; i++)
            {
                if (!objects.Add(kind, i, scratch, shmLimit))
                    break;
            }
        }
        catch
        {
            objects.Dispose();
            throw;
        }

        return objects;
    }

    private bool Add(string kind, int i, string scratch, int shmLimit)
    {
        switch (kind)
        {
            case "sysv-shm":
                if (Count >= shmLimit - 16)
                    return false; // kernel.shmmni caps the number of segments
                int shm = Native.shmget(0, 4096, 0x200 | 0x180);
                if (shm < 0)
                    return false;
                _cleanup.Add(() => Native.shmctl(shm, 0, IntPtr.Zero));
                break;
            case "sysv-sem":
                int sem = Native.semget(0, 1, 0x200 | 0x180);
                if (sem < 0)
                    return false;
                _cleanup.Add(() => Native.semctl(sem, 0, 0));
                break;
            case "sysv-msg":
                int msg = Native.msgget(0, 0x200 | 0x180);
                if (msg < 0)
                    return false;
                _cleanup.Add(() => Native.msgctl(msg, 0, IntPtr.Zero));
                break;
            case "dev-shm":
                var path = $"/dev/shm/killsafe-bench-{Environment.ProcessId}-{i}";
                File.WriteAllBytes(path, Array.Empty<byte>());
                _cleanup.Add(() => File.Delete(path));
                break;
            case "unix-sockets":
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(scratch, $"s{i}.sock")));
                socket.Listen(1);
                _cleanup.Add(socket.Dispose);
                break;
            case "tcp-listeners":
                var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                listener.Listen(1);
                _cleanup.Add(listener.Dispose);
                break;
            default:
                throw new ArgumentException("unknown kind " + kind);
        }

        Count++;
        return true;
    }

    public void Dispose()
    {
        foreach (var cleanup in _cleanup)
            cleanup();
        _cleanup.Clear();
    }
}

internal static partial class Native
{
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int shmget(int key, nuint size, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int shmctl(int id, int command, IntPtr buffer);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int semget(int key, int count, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int semctl(int id, int semaphore, int command);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int msgget(int key, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int msgctl(int id, int command, IntPtr buffer);
}
