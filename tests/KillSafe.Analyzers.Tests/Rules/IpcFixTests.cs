using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

/// <summary>KS1001-KS1004 fixes: mark for removal after shmat, unlink after open, remove in Dispose; Fix All; the result compiles.</summary>
public class IpcFixTests
{
    private static DiagnosticResult KS1001(int marker, string what, string api, string removal) =>
        new DiagnosticResult(SysVObjectNeverRemovedAnalyzer.Rule).WithLocation(marker).WithArguments(what, api, removal);

    [Fact]
    public async Task Marks_the_segment_for_removal_right_after_shmat_declaring_shmctl_like_shmget()
    {
        var test = new KillSafeTest<SysVObjectNeverRemovedAnalyzer, IpcRemovalCodeFix>
        {
            TestCode = @"using System;
using System.Runtime.InteropServices;

static class Shm
{
    [DllImport(""libc"", SetLastError = true)]
    public static extern int shmget(int key, nuint size, int flags);

    [DllImport(""libc"", SetLastError = true)]
    public static extern IntPtr shmat(int id, IntPtr address, int flags);

    public static IntPtr Create()
    {
        int id = {|#0:shmget(0, 4096, 0x380)|};
        var address = shmat(id, IntPtr.Zero, 0);
        return address;
    }
}
",
            FixedCode = @"using System;
using System.Runtime.InteropServices;

static class Shm
{
    [DllImport(""libc"", SetLastError = true)]
    public static extern int shmget(int key, nuint size, int flags);

    [DllImport(""libc"", SetLastError = true)]
    public static extern int shmctl(int id, int command, System.IntPtr buffer);

    [DllImport(""libc"", SetLastError = true)]
    public static extern IntPtr shmat(int id, IntPtr address, int flags);

    public static IntPtr Create()
    {
        int id = shmget(0, 4096, 0x380);
        var address = shmat(id, IntPtr.Zero, 0);
        shmctl(id, 0 /* IPC_RMID */, default);
        return address;
    }
}
",
            CodeActionEquivalenceKey = IpcRemovalCodeFix.MarkAfterAttach,
        };
        test.ExpectedDiagnostics.Add(KS1001(0, "shared memory segment", "shmget", "shmctl(IPC_RMID)"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Unlinks_a_named_semaphore_right_after_opening_it()
    {
        var test = new KillSafeTest<PosixSemaphoreNeverUnlinkedAnalyzer, IpcRemovalCodeFix>
        {
            TestCode = IpcRuleTests.PosixNative + @"
class Jobs
{
    const string Name = ""/jobs"";
    static IntPtr Open()
    {
        var semaphore = {|#0:Posix.sem_open(Name, Posix.O_CREAT, 0x180, 1)|};
        return semaphore;
    }
}",
            FixedCode = IpcRuleTests.PosixNative + @"
class Jobs
{
    const string Name = ""/jobs"";
    static IntPtr Open()
    {
        var semaphore = Posix.sem_open(Name, Posix.O_CREAT, 0x180, 1);
        Posix.sem_unlink(Name);
        return semaphore;
    }
}",
            CodeActionEquivalenceKey = IpcRemovalCodeFix.UnlinkAfterOpen,
        };
        test.ExpectedDiagnostics.Add(new DiagnosticResult(PosixSemaphoreNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithArguments("/jobs", "sem_open"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Fix_all_implements_IDisposable_once_and_removes_every_object_in_Dispose()
    {
        var test = new KillSafeTest<SysVObjectNeverRemovedAnalyzer, IpcRemovalCodeFix>
        {
            TestCode = IpcRuleTests.SysVNative + @"
static class Ctl
{
    [DllImport(""libc"", SetLastError = true)] public static extern int shmctl(int id, int command, IntPtr buffer);
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
}",
            FixedCode = IpcRuleTests.SysVNative.Replace(@"    [DllImport(""libc"", SetLastError = true)] public static extern int semget(int key, int count, int flags);", @"    [DllImport(""libc"", SetLastError = true)] public static extern int semget(int key, int count, int flags);
    [DllImport(""libc"", SetLastError = true)] public static extern int semctl(int id, int semaphore, int command);") + @"
static class Ctl
{
    [DllImport(""libc"", SetLastError = true)] public static extern int shmctl(int id, int command, IntPtr buffer);
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
}",
            CodeActionEquivalenceKey = IpcRemovalCodeFix.RemoveInDispose,
        };
        test.ExpectedDiagnostics.Add(KS1001(0, "shared memory segment", "shmget", "shmctl(IPC_RMID)"));
        test.ExpectedDiagnostics.Add(KS1001(1, "semaphore set", "semget", "semctl(IPC_RMID)"));
        await test.RunAsync(CancellationToken.None);
    }
}
