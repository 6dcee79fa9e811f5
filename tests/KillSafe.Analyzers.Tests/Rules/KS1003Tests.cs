using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using static KillSafe.Analyzers.Tests.Rules.IpcTestSources;

namespace KillSafe.Analyzers.Tests.Rules;

using KS1003 = Verify<PosixSharedMemoryNeverUnlinkedAnalyzer, EmptyCodeFixProvider>;

/// <summary>KS1003: the diagnostic, its absence on correct code, the fix and Fix All.</summary>
public class KS1003Tests
{
    [Fact]
    public Task KS1003_shm_open_and_dev_shm_files_are_flagged() => KS1003.AnalyzerAsync(PosixNative + """

class Cache
{
    static void Open(string name)
    {
        int fd = {|#0:Posix.shm_open("/cache", Posix.O_CREAT | Posix.O_RDWR, 0x180)|};
        {|#1:System.IO.File.WriteAllText("/dev/shm/cache-state", "x")|};
        using var stream = {|#2:new System.IO.FileStream("/dev/shm/" + name, System.IO.FileMode.Create)|};
        using var existing = new System.IO.FileStream("/dev/shm/" + name, System.IO.FileMode.Open);
        System.IO.File.WriteAllText("/tmp/not-shm", "x");
    }
    static void Clean() { Posix.shm_open("/c", 0x40 | 2, 0x180); Posix.shm_unlink("/c"); System.IO.File.Create("/dev/shm/d").Dispose(); System.IO.File.Delete("/dev/shm/d"); }
}
""",
        KS1003.Diagnostic(PosixSharedMemoryNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithArguments("/cache", "shm_open"),
        KS1003.Diagnostic(PosixSharedMemoryNeverUnlinkedAnalyzer.Rule).WithLocation(1).WithArguments("/dev/shm/cache-state", "File.WriteAllText"),
        KS1003.Diagnostic(PosixSharedMemoryNeverUnlinkedAnalyzer.Rule).WithLocation(2).WithArguments("\"/dev/shm/\" + name", "FileStream"));

    [Fact]
    public async Task A_PInvoke_renamed_in_another_file_is_still_seen_by_the_per_file_gate()
    {
        // The calling file never mentions "shm_open": the declaring file's words travel with the alias.
        var test = new KillSafeTest<PosixSharedMemoryNeverUnlinkedAnalyzer, EmptyCodeFixProvider>();
        test.TestState.Sources.Add(("Native.cs", """

using System.Runtime.InteropServices;
static class Native
{
    [DllImport("libc", EntryPoint = "shm_open")] public static extern int OpenShared(string name, int flags, uint mode);
}
"""));
        test.TestState.Sources.Add(("Worker.cs", """

class Worker
{
    void Start() => {|#0:Native.OpenShared("/renamed", 0x42, 0x180)|};
}
"""));
        test.ExpectedDiagnostics.Add(KS1003.Diagnostic(PosixSharedMemoryNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithArguments("/renamed", "shm_open"));
        await test.RunAsync(System.Threading.CancellationToken.None);
    }
}
