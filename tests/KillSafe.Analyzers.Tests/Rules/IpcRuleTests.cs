using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using KS1001 = Verify<SysVObjectNeverRemovedAnalyzer, EmptyCodeFixProvider>;
using KS1002 = Verify<PosixSemaphoreNeverUnlinkedAnalyzer, EmptyCodeFixProvider>;
using KS1003 = Verify<PosixSharedMemoryNeverUnlinkedAnalyzer, EmptyCodeFixProvider>;
using KS1004 = Verify<PosixMessageQueueNeverUnlinkedAnalyzer, EmptyCodeFixProvider>;

/// <summary>Diagnostics and their absence for KS1001-KS1004 (code fixes: IpcFixTests).</summary>
public class IpcRuleTests
{
    internal const string SysVNative = @"
using System;
using System.Runtime.InteropServices;
static class Native
{
    public const int IPC_CREAT = 01000;
    [DllImport(""libc"", SetLastError = true)] public static extern int shmget(int key, nuint size, int flags);
    [DllImport(""libc"", SetLastError = true)] public static extern IntPtr shmat(int id, IntPtr address, int flags);
    [DllImport(""libc"", SetLastError = true)] public static extern int semget(int key, int count, int flags);
    [DllImport(""libc.so.6"", EntryPoint = ""msgget"", SetLastError = true)] public static extern int CreateQueue(int key, int flags);
}";

    [Fact]
    public Task KS1001_creations_with_IPC_CREAT_or_IPC_PRIVATE_are_flagged() => KS1001.AnalyzerAsync(SysVNative + @"
class Store
{
    private int _segment;
    public void Open(int key)
    {
        _segment = {|#0:Native.shmget(key, 4096, Native.IPC_CREAT | 0600)|};
        int sem = {|#1:Native.semget(0, 1, 0x180)|};
        int queue = {|#2:Native.CreateQueue(key, 512 | 0666)|};
    }
}",
        KS1001.Diagnostic(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(0).WithArguments("shared memory segment", "shmget", "shmctl(IPC_RMID)"),
        KS1001.Diagnostic(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(1).WithArguments("semaphore set", "semget", "semctl(IPC_RMID)"),
        KS1001.Diagnostic(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(2).WithArguments("message queue", "msgget", "msgctl(IPC_RMID)"));

    [Fact]
    public Task KS1001_attach_without_create_and_removal_through_the_id_are_quiet() => KS1001.AnalyzerAsync(SysVNative + @"
static class Ctl
{
    [DllImport(""libc"", SetLastError = true)] public static extern int shmctl(int id, int command, IntPtr buffer);
    [DllImport(""libc"", SetLastError = true)] public static extern int semctl(int id, int number, int command);
    public const int IPC_RMID = 0;
}
class Store : IDisposable
{
    private readonly int _segment;
    public Store(int key) { _segment = Native.shmget(key, 4096, Native.IPC_CREAT | 0x180); }
    public void Dispose() => Ctl.shmctl(_segment, Ctl.IPC_RMID, IntPtr.Zero);

    static void Attach(int key) { int existing = Native.shmget(key, 0, 0); Native.shmat(existing, IntPtr.Zero, 0); }

    static void MarkedAtOnce()
    {
        int id = Native.shmget(0, 4096, 0x180);
        Native.shmat(id, IntPtr.Zero, 0);
        Ctl.shmctl(id, 0, IntPtr.Zero);
    }

    static void Semaphore(int key) { int s = Native.semget(key, 1, 0x200 | 0x180); try { } finally { Ctl.semctl(s, 0, Ctl.IPC_RMID); } }
}");

    [Fact]
    public Task KS1001_a_later_call_to_another_PInvoke_is_not_a_possible_removal() => KS1001.AnalyzerAsync(SysVNative + @"
class Store
{
    static void M(string[] args)
    {
        int id = {|#0:Native.shmget(0, 4096, 0x380)|};
        Native.semget(int.Parse(args[0]), 1, 0); // native code with an unknown argument: not a helper that might remove
    }
}", KS1001.Diagnostic(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(0).WithArguments("shared memory segment", "shmget", "shmctl(IPC_RMID)"));

    [Fact]
    public Task KS1001_a_removal_with_another_command_does_not_count() => KS1001.AnalyzerAsync(SysVNative + @"
static class Ctl { [DllImport(""libc"")] public static extern int shmctl(int id, int command, IntPtr buffer); }
class Store
{
    static void M()
    {
        int id = {|#0:Native.shmget(0, 4096, 0x180)|};
        Ctl.shmctl(id, 2 /* IPC_STAT */, IntPtr.Zero);
    }
}", KS1001.Diagnostic(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(0).WithArguments("shared memory segment", "shmget", "shmctl(IPC_RMID)"));

    [Fact]
    public Task KS1001_LibraryImport_declarations_are_matched_by_entry_point() => KS1001.AnalyzerAsync(@"
using System.Runtime.InteropServices;
static partial class Interop
{
    // Without the source generator the partial has no body (CS8795); the analyzer reads the attribute alone.
    [LibraryImport(""libc.so.6"", EntryPoint = ""shmget"", SetLastError = true)]
    private static partial int {|CS8795:CreateSegment|}(int key, nuint size, int flags);

    static void M() { {|#0:CreateSegment(42, 4096, 0x200 | 0x1B6)|}; }
}", KS1001.Diagnostic(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(0).WithArguments("shared memory segment", "shmget", "shmctl(IPC_RMID)"));

    internal const string PosixNative = @"
using System;
using System.Runtime.InteropServices;
static partial class Posix
{
    public const int O_CREAT = 0x40, O_RDWR = 2;
    [DllImport(""libpthread.so.0"", SetLastError = true)] public static extern IntPtr sem_open(string name, int flags, uint mode, uint value);
    [DllImport(""libpthread.so.0"", EntryPoint = ""sem_open"", SetLastError = true)] public static extern IntPtr sem_open_existing(string name, int flags);
    [DllImport(""libpthread.so.0"", SetLastError = true)] public static extern int sem_unlink(string name);
    [DllImport(""librt.so.1"", SetLastError = true)] public static extern int shm_open(string name, int flags, uint mode);
    [DllImport(""librt.so.1"", SetLastError = true)] public static extern int shm_unlink(string name);
    [DllImport(""librt"", SetLastError = true)] public static extern int mq_open(string name, int flags, uint mode, IntPtr attributes);
    [DllImport(""librt"", SetLastError = true)] public static extern int mq_unlink(string name);
}";

    [Fact]
    public Task KS1002_sem_open_with_O_CREAT_and_no_unlink_is_flagged() => KS1002.AnalyzerAsync(PosixNative + @"
class Jobs
{
    const string Name = ""/jobs"";
    static void Open()
    {
        var created = {|#0:Posix.sem_open(Name, Posix.O_CREAT, 0x180, 1)|};
        var attached = Posix.sem_open_existing(Name, 0);
    }
    static void Unlinked(string name) { Posix.sem_open(name, 0100, 0x180, 1); Posix.sem_unlink(name); }
}", KS1002.Diagnostic(PosixSemaphoreNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithArguments("/jobs", "sem_open"));

    [Fact]
    public Task KS1003_shm_open_and_dev_shm_files_are_flagged() => KS1003.AnalyzerAsync(PosixNative + @"
class Cache
{
    static void Open(string name)
    {
        int fd = {|#0:Posix.shm_open(""/cache"", Posix.O_CREAT | Posix.O_RDWR, 0x180)|};
        {|#1:System.IO.File.WriteAllText(""/dev/shm/cache-state"", ""x"")|};
        using var stream = {|#2:new System.IO.FileStream(""/dev/shm/"" + name, System.IO.FileMode.Create)|};
        using var existing = new System.IO.FileStream(""/dev/shm/"" + name, System.IO.FileMode.Open);
        System.IO.File.WriteAllText(""/tmp/not-shm"", ""x"");
    }
    static void Clean() { Posix.shm_open(""/c"", 0x40 | 2, 0x180); Posix.shm_unlink(""/c""); System.IO.File.Create(""/dev/shm/d"").Dispose(); System.IO.File.Delete(""/dev/shm/d""); }
}",
        KS1003.Diagnostic(PosixSharedMemoryNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithArguments("/cache", "shm_open"),
        KS1003.Diagnostic(PosixSharedMemoryNeverUnlinkedAnalyzer.Rule).WithLocation(1).WithArguments("/dev/shm/cache-state", "File.WriteAllText"),
        KS1003.Diagnostic(PosixSharedMemoryNeverUnlinkedAnalyzer.Rule).WithLocation(2).WithArguments("\"/dev/shm/\" + name", "FileStream"));

    [Fact]
    public Task KS1004_mq_open_with_O_CREAT_and_no_unlink_is_flagged() => KS1004.AnalyzerAsync(PosixNative + @"
class Queue
{
    readonly string _name;
    Queue(string name) { _name = name; }
    void Open() { {|#0:Posix.mq_open(_name, Posix.O_CREAT | Posix.O_RDWR, 0x180, IntPtr.Zero)|}; }
    static void Paired() { Posix.mq_open(""/q"", 0x42, 0x180, IntPtr.Zero); Posix.mq_unlink(""/q""); }
    static void Attach() { Posix.mq_open(""/q"", 2, 0, IntPtr.Zero); }
}", KS1004.Diagnostic(PosixMessageQueueNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithArguments("_name", "mq_open"));

    [Fact]
    public async Task A_PInvoke_renamed_in_another_file_is_still_seen_by_the_per_file_gate()
    {
        // The calling file never mentions "shm_open": the declaring file's words travel with the alias.
        var test = new KillSafeTest<PosixSharedMemoryNeverUnlinkedAnalyzer, EmptyCodeFixProvider>();
        test.TestState.Sources.Add(("Native.cs", @"
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""libc"", EntryPoint = ""shm_open"")] public static extern int OpenShared(string name, int flags, uint mode);
}"));
        test.TestState.Sources.Add(("Worker.cs", @"
class Worker
{
    void Start() => {|#0:Native.OpenShared(""/renamed"", 0x42, 0x180)|};
}"));
        test.ExpectedDiagnostics.Add(KS1003.Diagnostic(PosixSharedMemoryNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithArguments("/renamed", "shm_open"));
        await test.RunAsync(System.Threading.CancellationToken.None);
    }
}
