using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using static KillSafe.Analyzers.Tests.Rules.IpcTestSources;

namespace KillSafe.Analyzers.Tests.Rules;

using KS1002 = Verify<PosixSemaphoreNeverUnlinkedAnalyzer, EmptyCodeFixProvider>;

/// <summary>KS1002: the diagnostic, its absence on correct code, the fix and Fix All.</summary>
public class KS1002Tests
{
    [Fact]
    public Task KS1002_sem_open_with_O_CREAT_and_no_unlink_is_flagged() => KS1002.AnalyzerAsync(PosixNative + """

class Jobs
{
    const string Name = "/jobs";
    static void Open()
    {
        var created = {|#0:Posix.sem_open(Name, Posix.O_CREAT, 0x180, 1)|};
        var attached = Posix.sem_open_existing(Name, 0);
    }
    static void Unlinked(string name) { Posix.sem_open(name, 0100, 0x180, 1); Posix.sem_unlink(name); }
}
""", KS1002.Diagnostic(PosixSemaphoreNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithArguments("/jobs", "sem_open"));

    [Fact]
    public async Task Unlinks_a_named_semaphore_right_after_opening_it()
    {
        var test = new KillSafeTest<PosixSemaphoreNeverUnlinkedAnalyzer, IpcRemovalCodeFix>
        {
            TestCode = PosixNative + """

class Jobs
{
    const string Name = "/jobs";
    static IntPtr Open()
    {
        var semaphore = {|#0:Posix.sem_open(Name, Posix.O_CREAT, 0x180, 1)|};
        return semaphore;
    }
}
""",
            FixedCode = PosixNative + """

class Jobs
{
    const string Name = "/jobs";
    static IntPtr Open()
    {
        var semaphore = Posix.sem_open(Name, Posix.O_CREAT, 0x180, 1);
        Posix.sem_unlink(Name);
        return semaphore;
    }
}
""",
            CodeActionEquivalenceKey = IpcRemovalCodeFix.UnlinkAfterOpen,
        };
        test.ExpectedDiagnostics.Add(new DiagnosticResult(PosixSemaphoreNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithArguments("/jobs", "sem_open"));
        await test.RunAsync(CancellationToken.None);
    }
}
