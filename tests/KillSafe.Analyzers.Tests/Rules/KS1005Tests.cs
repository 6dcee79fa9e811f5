using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using VerifyKS1005 = Verify<WindowsOnlyNamedObjectAnalyzer, WindowsOnlyMemberCodeFix>;

public class KS1005Tests
{
    private static DiagnosticResult Expected(int marker, string api) =>
        VerifyKS1005.Diagnostic(WindowsOnlyNamedObjectAnalyzer.Rule).WithLocation(marker).WithArguments(api);

    [Fact]
    public Task Named_semaphore_event_and_memory_mapped_file_are_flagged() => VerifyKS1005.AnalyzerAsync("""

using System.IO.MemoryMappedFiles;
using System.Threading;
class Shared
{
    void M(string suffix)
    {
        var s = {|#0:new Semaphore(0, 1, "jobs")|};
        var e = {|#1:new EventWaitHandle(false, EventResetMode.AutoReset, "ready-" + suffix)|};
        var m = {|#2:MemoryMappedFile.CreateNew("map", 4096)|};
        var o = {|#3:Semaphore.OpenExisting("jobs")|};
    }
}
""", Expected(0, "new Semaphore"), Expected(1, "new EventWaitHandle"), Expected(2, "MemoryMappedFile.CreateNew"), Expected(3, "Semaphore.OpenExisting"));

    [Fact]
    public Task Unnamed_objects_named_mutex_guards_and_windows_only_members_are_quiet() => VerifyKS1005.AnalyzerAsync("""

using System;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Threading;
class Shared
{
    void Unnamed(string? maybe)
    {
        new Semaphore(0, 1);
        new Semaphore(0, 1, null);
        new EventWaitHandle(false, EventResetMode.ManualReset);
        MemoryMappedFile.CreateNew(null, 4096);
        new Mutex(false, "works-on-linux");
    }

    void Guarded()
    {
        if (OperatingSystem.IsWindows())
            new Semaphore(0, 1, "a");
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows) && Environment.ProcessorCount > 1)
        {
            MemoryMappedFile.CreateOrOpen("b", 4096);
        }
    }

    void EarlyExit()
    {
        if (!OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException();
        new EventWaitHandle(false, EventResetMode.AutoReset, "c");
    }

    [SupportedOSPlatform("windows")]
    void WindowsOnly() => new Semaphore(0, 1, "d");
}

[SupportedOSPlatform("windows10.0")]
class WindowsService { void M() => new Semaphore(0, 1, "e"); }
""");

    [Fact]
    public Task Negated_or_wrong_guards_do_not_count() => VerifyKS1005.AnalyzerAsync("""

using System;
using System.Threading;
class Shared
{
    void M()
    {
        if (!OperatingSystem.IsWindows())
            {|#0:new Semaphore(0, 1, "a")|};
        if (OperatingSystem.IsLinux())
            {|#1:new Semaphore(0, 1, "b")|};
        if (OperatingSystem.IsWindows()) return;
        {|#2:new Semaphore(0, 1, "c")|};
    }
}
""", Expected(0, "new Semaphore"), Expected(1, "new Semaphore"), Expected(2, "new Semaphore"));

    [Fact]
    public async Task Fix_marks_the_method_windows_only_once_for_all_its_calls()
    {
        var test = new KillSafeTest<WindowsOnlyNamedObjectAnalyzer, WindowsOnlyMemberCodeFix>
        {
            TestCode = """
using System.Threading;

class Shared
{
    void M()
    {
        var a = {|#0:new Semaphore(0, 1, "a")|};
        var b = {|#1:new Semaphore(0, 1, "b")|};
    }
}

""",
            FixedCode = """
using System.Threading;

class Shared
{
    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    void M()
    {
        var a = new Semaphore(0, 1, "a");
        var b = new Semaphore(0, 1, "b");
    }
}

""",
        };
        test.ExpectedDiagnostics.Add(Expected(0, "new Semaphore"));
        test.ExpectedDiagnostics.Add(Expected(1, "new Semaphore"));
        await test.RunAsync(CancellationToken.None);
    }
}
