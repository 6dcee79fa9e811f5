using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using KS1001 = Verify<SysVObjectNeverRemovedAnalyzer, EmptyCodeFixProvider>;

/// <summary>KS1001: the diagnostic, its absence on correct code, the fix and Fix All.</summary>
public class KS1001Tests
{
    internal const string SysVNative = """

using System;
using System.Runtime.InteropServices;
static class Native
{
    public const int IPC_CREAT = 01000;
    [DllImport("libc", SetLastError = true)] public static extern int shmget(int key, nuint size, int flags);
    [DllImport("libc", SetLastError = true)] public static extern IntPtr shmat(int id, IntPtr address, int flags);
    [DllImport("libc", SetLastError = true)] public static extern int semget(int key, int count, int flags);
    [DllImport("libc.so.6", EntryPoint = "msgget", SetLastError = true)] public static extern int CreateQueue(int key, int flags);
}
""";

    [Fact]
    public Task KS1001_creations_with_IPC_CREAT_or_IPC_PRIVATE_are_flagged() => KS1001.AnalyzerAsync(SysVNative + """

class Store
{
    private int _segment;
    public void Open(int key)
    {
        _segment = {|#0:Native.shmget(key, 4096, Native.IPC_CREAT | 0600)|};
        int sem = {|#1:Native.semget(0, 1, 0x180)|};
        int queue = {|#2:Native.CreateQueue(key, 512 | 0666)|};
    }
}
""",
        KS1001.Diagnostic(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(0).WithArguments("shared memory segment", "shmget", "shmctl(IPC_RMID)"),
        KS1001.Diagnostic(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(1).WithArguments("semaphore set", "semget", "semctl(IPC_RMID)"),
        KS1001.Diagnostic(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(2).WithArguments("message queue", "msgget", "msgctl(IPC_RMID)"));

    [Fact]
    public Task KS1001_attach_without_create_and_removal_through_the_id_are_quiet() => KS1001.AnalyzerAsync(SysVNative + """

static class Ctl
{
    [DllImport("libc", SetLastError = true)] public static extern int shmctl(int id, int command, IntPtr buffer);
    [DllImport("libc", SetLastError = true)] public static extern int semctl(int id, int number, int command);
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
}
""");

    [Fact]
    public Task KS1001_a_later_call_to_another_PInvoke_is_not_a_possible_removal() => KS1001.AnalyzerAsync(SysVNative + """

class Store
{
    static void M(string[] args)
    {
        int id = {|#0:Native.shmget(0, 4096, 0x380)|};
        Native.semget(int.Parse(args[0]), 1, 0); // native code with an unknown argument: not a helper that might remove
    }
}
""", KS1001.Diagnostic(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(0).WithArguments("shared memory segment", "shmget", "shmctl(IPC_RMID)"));

    [Fact]
    public Task KS1001_a_removal_with_another_command_does_not_count() => KS1001.AnalyzerAsync(SysVNative + """

static class Ctl { [DllImport("libc")] public static extern int shmctl(int id, int command, IntPtr buffer); }
class Store
{
    static void M()
    {
        int id = {|#0:Native.shmget(0, 4096, 0x180)|};
        Ctl.shmctl(id, 2 /* IPC_STAT */, IntPtr.Zero);
    }
}
""", KS1001.Diagnostic(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(0).WithArguments("shared memory segment", "shmget", "shmctl(IPC_RMID)"));

    [Fact]
    public Task KS1001_LibraryImport_declarations_are_matched_by_entry_point() => KS1001.AnalyzerAsync("""

using System.Runtime.InteropServices;
static partial class Interop
{
    // Without the source generator the partial has no body (CS8795); the analyzer reads the attribute alone.
    [LibraryImport("libc.so.6", EntryPoint = "shmget", SetLastError = true)]
    private static partial int {|CS8795:CreateSegment|}(int key, nuint size, int flags);

    static void M() { {|#0:CreateSegment(42, 4096, 0x200 | 0x1B6)|}; }
}
""", KS1001.Diagnostic(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(0).WithArguments("shared memory segment", "shmget", "shmctl(IPC_RMID)"));

    private static DiagnosticResult ExpectedKS1001(int marker, string what, string api, string removal) =>
        new DiagnosticResult(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(marker).WithArguments(what, api, removal);

    [Fact]
    public async Task Marks_the_segment_for_removal_right_after_shmat_declaring_shmctl_like_shmget()
    {
        var test = new KillSafeTest<SysVObjectNeverRemovedAnalyzer, IpcRemovalCodeFix>
        {
            TestCode = """
using System;
using System.Runtime.InteropServices;

static class Shm
{
    [DllImport("libc", SetLastError = true)]
    public static extern int shmget(int key, nuint size, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern IntPtr shmat(int id, IntPtr address, int flags);

    public static IntPtr Create()
    {
        int id = {|#0:shmget(0, 4096, 0x380)|};
        var address = shmat(id, IntPtr.Zero, 0);
        return address;
    }
}

""",
            FixedCode = """
using System;
using System.Runtime.InteropServices;

static class Shm
{
    [DllImport("libc", SetLastError = true)]
    public static extern int shmget(int key, nuint size, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int shmctl(int id, int command, System.IntPtr buffer);

    [DllImport("libc", SetLastError = true)]
    public static extern IntPtr shmat(int id, IntPtr address, int flags);

    public static IntPtr Create()
    {
        int id = shmget(0, 4096, 0x380);
        var address = shmat(id, IntPtr.Zero, 0);
        shmctl(id, 0 /* IPC_RMID */, default);
        return address;
    }
}

""",
            CodeActionEquivalenceKey = IpcRemovalCodeFix.MarkAfterAttach,
        };
        test.ExpectedDiagnostics.Add(ExpectedKS1001(0, "shared memory segment", "shmget", "shmctl(IPC_RMID)"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Fix_all_implements_IDisposable_once_and_removes_every_object_in_Dispose()
    {
        var test = new KillSafeTest<SysVObjectNeverRemovedAnalyzer, IpcRemovalCodeFix>
        {
            TestCode = SysVNative + """

static class Ctl
{
    [DllImport("libc", SetLastError = true)] public static extern int shmctl(int id, int command, IntPtr buffer);
}
class Store
{
    private int _segment;
    private int _semaphore;
    public void Open(int key)
    {
        _segment = {|#0:Native.shmget(key, 4096, Native.IPC_CREAT | 0600)|};
        _semaphore = {|#1:Native.semget(key, 1, Native.IPC_CREAT | 0600)|};
    }
}
""",
            FixedCode = SysVNative.Replace(@"    [DllImport(""libc"", SetLastError = true)] public static extern int semget(int key, int count, int flags);", """
    [DllImport("libc", SetLastError = true)] public static extern int semget(int key, int count, int flags);
    [DllImport("libc", SetLastError = true)] public static extern int semctl(int id, int semaphore, int command);
""") + """

static class Ctl
{
    [DllImport("libc", SetLastError = true)] public static extern int shmctl(int id, int command, IntPtr buffer);
}
class Store : IDisposable
{
    private int _segment;
    private int _semaphore;
    public void Open(int key)
    {
        _segment = Native.shmget(key, 4096, Native.IPC_CREAT | 0600);
        _semaphore = Native.semget(key, 1, Native.IPC_CREAT | 0600);
    }

    public void Dispose()
    {
        Ctl.shmctl(_segment, 0 /* IPC_RMID */, default);
        Native.semctl(_semaphore, 0, 0 /* IPC_RMID */);
    }
}
""",
            CodeActionEquivalenceKey = IpcRemovalCodeFix.RemoveInDispose,
        };
        test.ExpectedDiagnostics.Add(ExpectedKS1001(0, "shared memory segment", "shmget", "shmctl(IPC_RMID)"));
        test.ExpectedDiagnostics.Add(ExpectedKS1001(1, "semaphore set", "semget", "semctl(IPC_RMID)"));
        await test.RunAsync(CancellationToken.None);
    }
}
