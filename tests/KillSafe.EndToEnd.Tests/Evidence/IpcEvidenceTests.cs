using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using KillSafe.Verification;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace KillSafe.EndToEnd.Tests.Evidence;

/// <summary>
/// KS1001-KS1005 evidence with real kernel objects: the flagged program, killed with SIGKILL (or ending
/// normally), leaves its object behind; the program the fix produces leaves nothing. These tests create
/// machine-wide objects, so they run one at a time and sweep whatever a failure leaves.
/// </summary>
[Collection(IpcEvidenceTests.Serial)]
public sealed class IpcEvidenceTests : KernelObjectEvidence
{
    public const string Serial = "IPC evidence (machine-wide objects)";

    private const string SharedMemoryProgram = """
        using System;
        using System.Runtime.InteropServices;
        using System.Threading;

        int id = Native.shmget(0, 4096, 0x380); // IPC_PRIVATE, IPC_CREAT | 0600
        Console.WriteLine("ID " + id);
        IntPtr address = Native.shmat(id, IntPtr.Zero, 0);
        Console.WriteLine(address == new IntPtr(-1) ? "FAILED" : "READY");
        Thread.Sleep(Timeout.Infinite);

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int shmget(int key, nuint size, int flags);

            [DllImport("libc", SetLastError = true)]
            public static extern IntPtr shmat(int id, IntPtr address, int flags);
        }
        """;

    private const string DisposedSharedMemoryProgram = """
        using System;
        using System.Runtime.InteropServices;

        var store = new Store();
        store.Open();
        Console.WriteLine("READY");
        (store as IDisposable)?.Dispose(); // a no-op until the fix makes Store disposable

        class Store
        {
            private int _segment;

            public void Open()
            {
                _segment = Native.shmget(0, 4096, 0x380);
                Console.WriteLine("ID " + _segment);
            }
        }

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int shmget(int key, nuint size, int flags);
        }
        """;

    private static string PosixProgram(string open, string library) => $$"""
        using System;
        using System.Runtime.InteropServices;
        using System.Threading;

        var name = args[0];
        var handle = {{open}};
        Console.WriteLine(handle is -1 ? "FAILED errno " + Marshal.GetLastPInvokeError() : "READY");
        Thread.Sleep(Timeout.Infinite);

        static class Native
        {
            [DllImport("{{library}}", SetLastError = true)]
            public static extern long sem_open(string name, int flags, uint mode, uint value);

            [DllImport("{{library}}", SetLastError = true)]
            public static extern int shm_open(string name, int flags, uint mode);

            [DllImport("{{library}}", SetLastError = true)]
            public static extern int mq_open(string name, int flags, uint mode, IntPtr attributes);
        }
        """;

    private static int IdIn(string output) => int.Parse(output.Split('\n').First(l => l.StartsWith("ID ", StringComparison.Ordinal))[3..].Trim(), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task KS1001_segment_survives_SIGKILL_unless_marked_for_removal_after_shmat()
    {
        var flagged = await KillRunAsync(Build(SharedMemoryProgram, "ShmFlagged"), KillSignal.Kill);
        int id = IdIn(flagged.Output);
        Assert.Contains(flagged.Leaks.Leftovers, l => l.Kind == LeftoverKind.SysVSharedMemory && l.Identity.EndsWith($" id {id}", StringComparison.Ordinal) && l.RemovalCommand == $"ipcrm -m {id}");

        var fixedSource = await FixedWithAsync(SharedMemoryProgram, new SysVObjectNeverRemovedAnalyzer(), IpcRemovalCodeFix.MarkAfterAttach);
        var fixedRun = await KillRunAsync(Build(fixedSource, "ShmMarked"), KillSignal.Kill);
        int fixedId = IdIn(fixedRun.Output);
        Assert.DoesNotContain(fixedRun.Leaks.Leftovers, l => l.Kind == LeftoverKind.SysVSharedMemory && l.Identity.EndsWith($" id {fixedId}", StringComparison.Ordinal));
        Assert.DoesNotContain(Snapshot.Take().SysV, o => o.Id == fixedId && o.Kind == KillSafe.Verification.Proc.SysVKind.SharedMemory);
    }

    [Fact]
    public async Task KS1001_segment_survives_a_normal_exit_unless_removed_in_Dispose()
    {
        var before = Snapshot.Take(SnapshotOptions());
        var flagged = Run(Build(DisposedSharedMemoryProgram, "ShmNoDispose"));
        Assert.Equal(0, await flagged.WaitForExitAsync(Timeout));
        var report = await Leaks.SettleAsync(before, SnapshotOptions(), new DiffOptions());
        SweepLater(report.Leftovers);
        int id = IdIn(flagged.Output);
        Assert.Contains(report.Leftovers, l => l.Kind == LeftoverKind.SysVSharedMemory && l.Identity.EndsWith($" id {id}", StringComparison.Ordinal));

        var fixedSource = await FixedWithAsync(DisposedSharedMemoryProgram, new SysVObjectNeverRemovedAnalyzer(), IpcRemovalCodeFix.RemoveInDispose);
        Assert.Contains("IDisposable", fixedSource);
        before = Snapshot.Take(SnapshotOptions());
        var disposed = Run(Build(fixedSource, "ShmDispose"));
        Assert.Equal(0, await disposed.WaitForExitAsync(Timeout));
        report = await Leaks.SettleAsync(before, SnapshotOptions(), new DiffOptions());
        SweepLater(report.Leftovers);
        Assert.DoesNotContain(report.Leftovers, l => l.Kind == LeftoverKind.SysVSharedMemory && l.Identity.EndsWith($" id {IdIn(disposed.Output)}", StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string, string> PosixKinds() => new()
    {
        // rule, open call, library, leftover path prefix
        { "KS1002", "Native.sem_open(name, 0x40 /* O_CREAT */, 0x180, 1) == 0 ? -1 : 0", "libc", "/dev/shm/sem." },
        { "KS1003", "Native.shm_open(name, 0x42 /* O_CREAT | O_RDWR */, 0x180)", "libc", "/dev/shm/" },
        { "KS1004", "Native.mq_open(name, 0x42 /* O_CREAT | O_RDWR */, 0x180, IntPtr.Zero)", "librt.so.1", "/dev/mqueue/" },
    };

    [Theory]
    [MemberData(nameof(PosixKinds))]
    public async Task Posix_object_survives_SIGKILL_unless_unlinked_right_after_open(string rule, string open, string library, string prefix)
    {
        if (rule == "KS1004")
        {
            var (mounted, reason) = MessageQueueMount.EnsureMounted();
            Assert.True(mounted, reason); // a clear reason, never a silent skip
        }

        var source = PosixProgram(open, library);
        DiagnosticAnalyzer analyzer = rule switch
        {
            "KS1002" => new PosixSemaphoreNeverUnlinkedAnalyzer(),
            "KS1003" => new PosixSharedMemoryNeverUnlinkedAnalyzer(),
            _ => new PosixMessageQueueNeverUnlinkedAnalyzer(),
        };
        var name = UniqueName(rule.ToLowerInvariant());
        var flagged = await KillRunAsync(Build(source, rule + "Flagged"), KillSignal.Kill, "/" + name);
        Assert.Contains(flagged.Leaks.Leftovers, l => l.Identity == prefix + name && l.Owner.Alive == Liveness.Dead);

        var fixedSource = await FixedWithAsync(source, analyzer, IpcRemovalCodeFix.UnlinkAfterOpen);
        var fixedName = UniqueName(rule.ToLowerInvariant());
        var fixedRun = await KillRunAsync(Build(fixedSource, rule + "Fixed"), KillSignal.Kill, "/" + fixedName);
        Assert.Contains("READY", fixedRun.Output);
        Assert.DoesNotContain(fixedRun.Leaks.Leftovers, l => l.Identity == prefix + fixedName);
        Assert.False(File.Exists(prefix + fixedName));
    }

    [Fact]
    public async Task KS1005_named_semaphore_throws_on_linux_and_a_named_mutex_works()
    {
        // The flagged calls are in a public API (no caller guard counts for it); the program catches what they throw.
        const string program = """
            using System;
            using System.IO;
            using System.IO.MemoryMappedFiles;
            using System.Threading;
            try
            {
                Named.Semaphore();
                Console.WriteLine("CREATED");
            }
            catch (PlatformNotSupportedException e)
            {
                Console.WriteLine("PNSE " + e.GetType().Name);
            }

            var file = Path.Combine(args[0], "killsafe-evidence-map");
            File.WriteAllBytes(file, new byte[4096]);
            try
            {
                Named.Map(file);
                Console.WriteLine("MAPPED");
            }
            catch (PlatformNotSupportedException e)
            {
                Console.WriteLine("MAP PNSE " + e.GetType().Name);
            }

            using (MemoryMappedFile.CreateFromFile(file, FileMode.Open, null))
                Console.WriteLine("UNNAMED MAP OK");
            File.Delete(file);

            using var mutex = new Mutex(false, "killsafe-evidence-" + Environment.ProcessId);
            Console.WriteLine(mutex.WaitOne(0) ? "MUTEX OK" : "MUTEX BUSY");
            mutex.ReleaseMutex();

            public static class Named
            {
                public static void Semaphore() { using var semaphore = new Semaphore(0, 1, "killsafe-evidence"); }
                public static void Map(string file) { using var map = MemoryMappedFile.CreateFromFile(file, FileMode.Open, "killsafe-evidence-map"); }
            }
            """;
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(program, new WindowsOnlyNamedObjectAnalyzer());
        Assert.Equal(2, diagnostics.Count(d => d.Id == "KS1005")); // the named semaphore and the named map of a file
        var child = Run(Build(program, "NamedSemaphore"), Scratch.Path);
        Assert.Equal(0, await child.WaitForExitAsync(Timeout));
        Assert.Contains("PNSE PlatformNotSupportedException", child.Output);
        Assert.Contains("MAP PNSE PlatformNotSupportedException", child.Output);
        Assert.Contains("UNNAMED MAP OK", child.Output);
        Assert.Contains("MUTEX OK", child.Output);
    }

    [Fact]
    public void KS1002_glibc_strips_one_leading_slash_so_a_name_with_and_without_it_is_one_semaphore()
    {
        var name = $"killsafe-vt-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var file = "/dev/shm/sem." + name;
        try
        {
            var handle = Libc.sem_open(name, 0x40 /* O_CREAT */, 0x180, 0); // no leading slash
            Assert.NotEqual(IntPtr.Zero, handle);
            Libc.sem_close(handle);
            Assert.True(File.Exists(file), "sem_open(\"name\") makes /dev/shm/sem.name");
            Assert.Equal(0, Libc.sem_unlink("/" + name)); // with the slash: the same object
            Assert.False(File.Exists(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Applies the fix of <paramref name="key"/> with Fix All and checks the rule is gone.</summary>
    private static async Task<string> FixedWithAsync(string source, DiagnosticAnalyzer analyzer, string key)
    {
        var id = analyzer.SupportedDiagnostics[0].Id;
        Assert.Contains(await AnalyzerRun.DiagnosticsAsync(source, analyzer), d => d.Id == id);
        var fixedSource = await AnalyzerRun.FixAllAsync(source, analyzer, new IpcRemovalCodeFix(), key);
        Assert.DoesNotContain(await AnalyzerRun.DiagnosticsAsync(fixedSource, analyzer), d => d.Id == id);
        return fixedSource;
    }
}

[CollectionDefinition(IpcEvidenceTests.Serial, DisableParallelization = true)]
public sealed class IpcEvidenceCollection
{
}

internal static class Libc
{
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    internal static extern IntPtr sem_open(string name, int flags, uint mode, uint value);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    internal static extern int sem_close(IntPtr handle);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    internal static extern int sem_unlink(string name);
}
