using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

public class KS5001Tests
{
    private static Task RunAsync(string source, OutputKind kind = OutputKind.ConsoleApplication, params DiagnosticResult[] expected)
    {
        var test = new KillSafeTest<OrphanedChildProcessAnalyzer, EmptyCodeFixProvider> { TestCode = source };
        test.TestState.OutputKind = kind;
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    private static DiagnosticResult Expected(int marker) =>
        new DiagnosticResult(OrphanedChildProcessAnalyzer.Rule).WithLocation(marker).WithArguments("Process.Start");

    private const string Service = """

using System.Diagnostics;
using System.Threading;
class Service
{
    private Process? _worker;
    static void Main()
    {
        var service = new Service();
        service.Start();
        while (true)
            Thread.Sleep(1000);
    }

""";

    [Fact]
    public Task Children_a_long_running_program_never_waits_for_or_kills_are_flagged() => RunAsync(Service + """

    void Start()
    {
        {|#0:Process.Start("helper")|};
        var watcher = {|#1:Process.Start("watcher", "--follow")|};
        var p = new Process { StartInfo = new ProcessStartInfo("indexer") };
        {|#2:p.Start()|};
    }
}
""", expected: new[] { Expected(0), Expected(1), Expected(2) });

    [Fact]
    public Task An_infinite_wait_makes_a_program_long_running_and_a_short_sleep_does_not() => Task.WhenAll(
        RunAsync("""

using System.Diagnostics;
using System.Threading;
class Daemon
{
    static void Main()
    {
        {|#0:Process.Start("helper")|};
        Thread.Sleep(Timeout.Infinite);
    }
}
""", expected: Expected(0)),
        RunAsync("""

using System.Diagnostics;
using System.Threading;
class Tool
{
    static void Main()
    {
        Process.Start("helper");
        Thread.Sleep(100);
    }
}
"""));

    [Fact]
    public Task Waited_killed_returned_and_short_lived_programs_are_quiet() => Task.WhenAll(
        RunAsync(Service + """

    void Start()
    {
        using var tool = Process.Start("tool");
        tool!.WaitForExit();
        _worker = Process.Start("worker");
    }
    public void Stop() => _worker?.Kill(entireProcessTree: true);
    Process Spawn() { var p = Process.Start("child")!; return p; }
}
"""),
        // A tool that opens a viewer and exits: no sign that it runs until stopped.
        RunAsync("""

using System.Diagnostics;
class Launcher
{
    static void Main() => Process.Start("xdg-open", "https://example.org");
}
"""),
        // Libraries are never flagged.
        RunAsync(Service.Replace("static void Main()", "public static void Run()") + """

    void Start() => Process.Start("helper");
}
""", OutputKind.DynamicallyLinkedLibrary));
}
