using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

public class KS4004Tests
{
    private const string EndsWithSignal = ", and the program's SIGTERM handler neither cancels the signal nor calls Environment.Exit, so the signal still ends the process when it returns";

    private static DiagnosticResult Expected(int marker, string exitEvent = "AppDomain.ProcessExit", string why = "") =>
        new DiagnosticResult(ExitHandlerMissesSigtermAnalyzer.Rule).WithLocation(marker).WithArguments(exitEvent, why);

    private static KillSafeTest<ExitHandlerMissesSigtermAnalyzer, ExitOnSigtermCodeFix> Test(
        string source, string? fixedSource = null, OutputKind kind = OutputKind.ConsoleApplication, string? targetFramework = null, bool aspNetCore = false, params DiagnosticResult[] expected)
    {
        var test = new KillSafeTest<ExitHandlerMissesSigtermAnalyzer, ExitOnSigtermCodeFix>(aspNetCore ? ExtraReferences.AspNetCore : ExtraReferences.None) { TestCode = source };
        test.TestState.OutputKind = kind;
        if (targetFramework is not null)
            test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\nbuild_property.TargetFramework = " + targetFramework + "\n"));
        if (fixedSource is not null)
        {
            // KS4004 weighs the whole program, so it reports at compilation end (a non-local diagnostic).
            test.CodeFixTestBehaviors |= CodeFixTestBehaviors.SkipLocalDiagnosticCheck;
            test.FixedCode = fixedSource;
            test.FixedState.OutputKind = kind;
        }

        test.ExpectedDiagnostics.AddRange(expected);
        return test;
    }

    [Fact]
    public Task ProcessExit_cleanup_in_top_level_statements_is_flagged_and_the_fix_exits_on_SIGTERM() => Test("""

using System;
using System.IO;

// The program's own comment stays first.
var path = Path.Combine(Path.GetTempPath(), "job-" + Environment.ProcessId);
File.WriteAllText(path, "running");
{|#0:AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path)|};
Console.ReadLine();

""", """

using System;
using System.IO;
using System.Runtime.InteropServices;

// The program's own comment stays first.
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0));
var path = Path.Combine(Path.GetTempPath(), "job-" + Environment.ProcessId);
File.WriteAllText(path, "running");
AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
Console.ReadLine();

""", expected: Expected(0)).RunAsync(CancellationToken.None);

    [Fact]
    public async Task Handlers_in_another_file_are_fixed_once_in_Main()
    {
        const string cleanup = """

using System;
using System.IO;
using System.Runtime.Loader;

static class Cleanup
{
    public static void Install()
    {
        {|#0:AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/job.pid")|};
        {|#1:AssemblyLoadContext.Default.Unloading += _ => File.Delete("/tmp/job.state")|};
    }
}

""";
        var test = new KillSafeTest<ExitHandlerMissesSigtermAnalyzer, ExitOnSigtermCodeFix>();
        test.TestState.OutputKind = OutputKind.ConsoleApplication;
        test.FixedState.OutputKind = OutputKind.ConsoleApplication;
        test.CodeFixTestBehaviors |= CodeFixTestBehaviors.SkipLocalDiagnosticCheck;
        test.TestState.Sources.Add(("/Program.cs", """

using System;

static class Program
{
    static void Main()
    {
        Cleanup.Install();
        Console.ReadLine();
    }
}

"""));
        test.TestState.Sources.Add(("/Cleanup.cs", cleanup));
        test.FixedState.Sources.Add(("/Program.cs", """

using System;
using System.Runtime.InteropServices;

static class Program
{
    static void Main()
    {
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0));
        Cleanup.Install();
        Console.ReadLine();
    }
}

"""));
        test.FixedState.Sources.Add(("/Cleanup.cs", cleanup.Replace("{|#0:", string.Empty).Replace("{|#1:", string.Empty).Replace("|};", ";")));
        test.ExpectedDiagnostics.Add(Expected(0));
        test.ExpectedDiagnostics.Add(Expected(1, "AssemblyLoadContext.Unloading"));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task The_fix_picks_free_names_and_fills_an_empty_Main() => Test("""

using System;

static class Program
{
    static void Main()
    {
    }

    static Program()
    {
        {|#0:AppDomain.CurrentDomain.ProcessExit += OnExit|};
    }

    static void OnExit(object? sender, EventArgs e) => Console.WriteLine("bye");
}

""", """

using System;
using System.Runtime.InteropServices;

static class Program
{
    static void Main()
    {
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0));
    }

    static Program()
    {
        AppDomain.CurrentDomain.ProcessExit += OnExit;
    }

    static void OnExit(object? sender, EventArgs e) => Console.WriteLine("bye");
}

""", expected: Expected(0)).RunAsync(CancellationToken.None);

    [Fact]
    public Task A_taken_name_gets_a_number() => Test("""

using System;

static class Program
{
    static void Main(string[] args)
    {
        var sigterm = args.Length;
        {|#0:AppDomain.CurrentDomain.ProcessExit += (_, _) => Console.WriteLine(sigterm)|};
    }
}

""", """

using System;
using System.Runtime.InteropServices;

static class Program
{
    static void Main(string[] args)
    {
        using var sigterm2 = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0));
        var sigterm = args.Length;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Console.WriteLine(sigterm);
    }
}

""", expected: Expected(0)).RunAsync(CancellationToken.None);

    [Fact]
    public Task A_SIGTERM_handler_that_exits_or_cancels_lets_the_exit_handlers_run() => Test("""

using System;
using System.IO;
using System.Runtime.InteropServices;

using var exits = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0));
AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/job.pid");
Console.ReadLine();

""").RunAsync(CancellationToken.None);

    [Fact]
    public Task A_SIGTERM_handler_that_cancels_counts_as_a_normal_exit() => Test("""

using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

var stop = new CancellationTokenSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/job.pid");
stop.Token.WaitHandle.WaitOne();

""").RunAsync(CancellationToken.None);

    [Fact]
    public Task A_SIGTERM_handler_that_only_logs_still_ends_the_process() => Test("""

using System;
using System.IO;
using System.Runtime.InteropServices;

using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Console.Error.WriteLine("stopping"));
{|#0:AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/job.pid")|};
Console.ReadLine();

""", expected: Expected(0, why: EndsWithSignal)).RunAsync(CancellationToken.None);

    [Fact]
    public Task A_SIGINT_registration_does_not_cover_SIGTERM() => Test("""

using System;
using System.IO;
using System.Runtime.InteropServices;

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Environment.Exit(0));
{|#0:AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/job.pid")|};
Console.ReadLine();

""", expected: Expected(0)).RunAsync(CancellationToken.None);

    [Fact]
    public Task A_handler_method_that_calls_the_programs_own_code_may_exit() => Test("""

using System;
using System.IO;
using System.Runtime.InteropServices;

static class Program
{
    static void Main()
    {
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTerm);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/job.pid");
        Console.ReadLine();
    }

    static void OnTerm(PosixSignalContext context) => Shutdown.Begin();
}

static class Shutdown
{
    public static void Begin() => Environment.Exit(0);
}

""").RunAsync(CancellationToken.None);

    [Fact]
    public Task A_signal_that_is_not_a_constant_may_be_SIGTERM() => Test("""

using System;
using System.IO;
using System.Runtime.InteropServices;

foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
    PosixSignalRegistration.Create(signal, _ => Console.WriteLine("bye"));
AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/job.pid");
Console.ReadLine();

""").RunAsync(CancellationToken.None);

    [Fact]
    public Task The_Generic_Host_handles_SIGTERM() => Test("""

using System;
using System.IO;
using Microsoft.AspNetCore.Builder;

var app = WebApplication.Create(args);
AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/web.pid");
app.Run();

""", aspNetCore: true).RunAsync(CancellationToken.None);

    [Fact]
    public Task A_started_host_handles_SIGTERM_too() => Test("""

using System;
using System.IO;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;

static class Program
{
    static async Task Main(string[] args)
    {
        using var host = Host.CreateApplicationBuilder(args).Build();
        await host.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/worker.pid");
        await host.WaitForShutdownAsync();
    }
}

""", aspNetCore: true).RunAsync(CancellationToken.None);

    [Fact]
    public Task Libraries_are_never_flagged() => Test("""

using System;
using System.IO;

public static class Cleanup
{
    public static void Install() => AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/lib.state");
}

""", kind: OutputKind.DynamicallyLinkedLibrary).RunAsync(CancellationToken.None);

    [Theory]
    [InlineData("net8.0")]
    [InlineData("net9.0")]
    [InlineData("net10.0-windows")]
    [InlineData("netstandard2.0")]
    public Task Targets_where_the_runtime_still_runs_ProcessExit_or_that_never_run_on_Linux_are_not_flagged(string targetFramework) => Test("""

using System;
using System.IO;

AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/job.pid");
Console.ReadLine();

""", targetFramework: targetFramework).RunAsync(CancellationToken.None);

    [Theory]
    [InlineData("net10.0")]
    [InlineData("net11.0-linux")]
    public Task Targets_from_NET_10_on_are_flagged(string targetFramework) => Test("""

using System;
using System.IO;

{|#0:AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete("/tmp/job.pid")|};
Console.ReadLine();

""", targetFramework: targetFramework, expected: Expected(0)).RunAsync(CancellationToken.None);

    [Fact]
    public Task Unloading_of_a_collectible_context_is_about_unloading_not_exit() => Test("""

using System;
using System.IO;
using System.Runtime.Loader;

var plugins = new AssemblyLoadContext("plugins", isCollectible: true);
plugins.Unloading += _ => File.Delete("/tmp/plugins.cache");
plugins.Unload();

""").RunAsync(CancellationToken.None);

    [Fact]
    public Task Removing_a_handler_is_not_adding_one() => Test("""

using System;

static class Program
{
    static void Main()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
    }

    static void OnExit(object? sender, EventArgs e) { }
}

""").RunAsync(CancellationToken.None);
}
