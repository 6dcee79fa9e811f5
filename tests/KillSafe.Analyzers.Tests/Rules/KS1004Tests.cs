using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using static KillSafe.Analyzers.Tests.Rules.IpcTestSources;

namespace KillSafe.Analyzers.Tests.Rules;

using KS1004 = Verify<PosixMessageQueueNeverUnlinkedAnalyzer, EmptyCodeFixProvider>;

/// <summary>KS1004: the diagnostic, its absence on correct code, the fix and Fix All.</summary>
public class KS1004Tests
{
    [Fact]
    public Task KS1004_mq_open_with_O_CREAT_and_no_unlink_is_flagged() => KS1004.AnalyzerAsync(PosixNative + """

class Queue
{
    readonly string _name;
    Queue(string name) { _name = name; }
    void Open() { {|#0:Posix.mq_open(_name, Posix.O_CREAT | Posix.O_RDWR, 0x180, IntPtr.Zero)|}; }
    static void Paired() { Posix.mq_open("/q", 0x42, 0x180, IntPtr.Zero); Posix.mq_unlink("/q"); }
    static void Attach() { Posix.mq_open("/q", 2, 0, IntPtr.Zero); }
}
""", KS1004.Diagnostic(PosixMessageQueueNeverUnlinkedAnalyzer.Rule).WithLocation(0).WithArguments("_name", "mq_open"));
}
