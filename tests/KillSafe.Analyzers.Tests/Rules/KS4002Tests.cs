using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using VerifyKS4002 = Verify<FinalizerOnlyCleanupAnalyzer, DisposeRunsFinalizerCleanupCodeFix>;

public class KS4002Tests
{
    private const string Native = """

static class Native
{
    [DllImport("libc")] public static extern int shm_open(string name, int flags, uint mode);
    [DllImport("libc")] public static extern int shm_unlink(string name);
    [DllImport("libc")] public static extern int shmget(int key, nuint size, int flags);
    [DllImport("libc")] public static extern int shmctl(int id, int command, IntPtr buffer);
}
""";

    private static DiagnosticResult Expected(int marker, string api, string kind, string display, string type) =>
        VerifyKS4002.Diagnostic(FinalizerOnlyCleanupAnalyzer.Rule).WithLocation(marker).WithArguments(api, kind, display, type);

    [Fact]
    public Task Removal_only_in_the_finalizer_or_in_what_only_it_calls_is_flagged() => VerifyKS4002.AnalyzerAsync("""

using System;
using System.Runtime.InteropServices;
class Region
{
    const string Name = "/killsafe-region";
    private int _segment;
    public Region()
    {
        {|#0:Native.shm_open(Name, 0x42, 0x180)|};
        _segment = {|#1:Native.shmget(0, 4096, 0x380)|};
    }
    ~Region()
    {
        Native.shm_unlink(Name);
        Release();
    }
    private void Release() => Native.shmctl(_segment, 0, IntPtr.Zero);
}
""" + Native,
        Expected(0, "shm_open", "the POSIX shared memory object", "/killsafe-region", "Region"),
        Expected(1, "shmget", "the SysV shared memory segment", "_segment", "Region"));

    [Fact]
    public Task Removal_that_Dispose_or_a_public_method_reaches_is_quiet() => VerifyKS4002.AnalyzerAsync("""

using System;
using System.Runtime.InteropServices;
class Disposable : IDisposable
{
    const string Name = "/killsafe-a";
    public Disposable() => Native.shm_open(Name, 0x42, 0x180);
    ~Disposable() => Dispose(false);
    public void Dispose() { Dispose(true); GC.SuppressFinalize(this); }
    private void Dispose(bool disposing) => Native.shm_unlink(Name);
}
class Stoppable
{
    private int _segment;
    public void Start() => _segment = Native.shmget(0, 4096, 0x380);
    ~Stoppable() => Stop();
    public void Stop() => Native.shmctl(_segment, 0, IntPtr.Zero);
}
class NoCleanupAtAll
{
    public void Start() => Native.shm_open("/killsafe-b", 0x42, 0x180); // KS1003's business, not KS4002's
    ~NoCleanupAtAll() { }
}
class CreatedInTheFinalizer
{
    ~CreatedInTheFinalizer() { Native.shm_open("/killsafe-c", 0x42, 0x180); Native.shm_unlink("/killsafe-c"); }
}
""" + Native);

    [Fact]
    public Task Fix_moves_the_cleanup_into_a_method_Dispose_calls_with_IDisposable() => VerifyKS4002.CodeFixAsync("""

using System;
using System.Runtime.InteropServices;
class Region
{
    const string Name = "/killsafe-region";
    private int _segment;
    public Region()
    {
        {|#0:Native.shm_open(Name, 0x42, 0x180)|};
        _segment = {|#1:Native.shmget(0, 4096, 0x380)|};
    }

    ~Region()
    {
        Native.shm_unlink(Name);
        Native.shmctl(_segment, 0, IntPtr.Zero);
    }
}
""" + Native, """

using System;
using System.Runtime.InteropServices;
class Region : IDisposable
{
    const string Name = "/killsafe-region";
    private int _segment;
    public Region()
    {
        Native.shm_open(Name, 0x42, 0x180);
        _segment = Native.shmget(0, 4096, 0x380);
    }

    ~Region()
    {
        RemoveKernelObjects();
    }

    private void RemoveKernelObjects()
    {
        Native.shm_unlink(Name);
        Native.shmctl(_segment, 0, IntPtr.Zero);
    }

    public void Dispose()
    {
        RemoveKernelObjects();
        GC.SuppressFinalize(this);
    }
}
""" + Native,
        Expected(0, "shm_open", "the POSIX shared memory object", "/killsafe-region", "Region"),
        Expected(1, "shmget", "the SysV shared memory segment", "_segment", "Region"));

    [Fact]
    public async Task Fix_reuses_the_finalizers_helper_and_an_existing_Dispose_across_classes()
    {
        var test = new KillSafeTest<FinalizerOnlyCleanupAnalyzer, DisposeRunsFinalizerCleanupCodeFix>
        {
            TestCode = """

using System;
using System.Runtime.InteropServices;
class First : IDisposable
{
    public First() => {|#0:Native.shm_open("/killsafe-first", 0x42, 0x180)|};
    ~First() => Release();
    private void Release() => Native.shm_unlink("/killsafe-first");
    public void Dispose()
    {
        Console.WriteLine("closing");
    }
}
class Second
{
    public Second() => {|#1:Native.shm_open("/killsafe-second", 0x42, 0x180)|};
    ~Second() => Native.shm_unlink("/killsafe-second");
}
""" + Native,
            FixedCode = """

using System;
using System.Runtime.InteropServices;
class First : IDisposable
{
    public First() => Native.shm_open("/killsafe-first", 0x42, 0x180);
    ~First() => Release();
    private void Release() => Native.shm_unlink("/killsafe-first");
    public void Dispose()
    {
        Console.WriteLine("closing");
        Release();
        GC.SuppressFinalize(this);
    }
}
class Second : IDisposable
{
    public Second() => Native.shm_open("/killsafe-second", 0x42, 0x180);
    ~Second()
    {
        RemoveKernelObjects();
    }

    private void RemoveKernelObjects()
    {
        Native.shm_unlink("/killsafe-second");
    }

    public void Dispose()
    {
        RemoveKernelObjects();
        GC.SuppressFinalize(this);
    }
}
""" + Native,
        };
        test.ExpectedDiagnostics.Add(Expected(0, "shm_open", "the POSIX shared memory object", "/killsafe-first", "First"));
        test.ExpectedDiagnostics.Add(Expected(1, "shm_open", "the POSIX shared memory object", "/killsafe-second", "Second"));
        await test.RunAsync(CancellationToken.None);
    }
}
