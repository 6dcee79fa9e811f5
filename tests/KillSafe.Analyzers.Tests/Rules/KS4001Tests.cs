using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

/// <summary>KS4001: the diagnostic, its absence on correct code, the fix and Fix All.</summary>
public class KS4001Tests
{
    private const string Native = """

static class Native
{
    [DllImport("libc")] public static extern int shm_open(string name, int flags, uint mode);
    [DllImport("libc")] public static extern int shm_unlink(string name);
}
""";

    private static DiagnosticResult Expected(int marker, string display, string uncovered) =>
        new DiagnosticResult(SignalPathMissesCleanupAnalyzer.Rule).WithLocation(marker).WithArguments("shm_open", "the POSIX shared memory object", display, uncovered);

    private static KillSafeTest<SignalPathMissesCleanupAnalyzer, SignalCleanupCodeFix> Test(string source, string? fixedSource = null, bool aspNetCore = false, OutputKind kind = OutputKind.ConsoleApplication, string? batchFixedSource = null, params DiagnosticResult[] expected)
    {
        var test = new KillSafeTest<SignalPathMissesCleanupAnalyzer, SignalCleanupCodeFix>(aspNetCore ? ExtraReferences.AspNetCore : ExtraReferences.None) { TestCode = source };
        test.TestState.OutputKind = kind;
        if (fixedSource is not null)
        {
            // KS4001 needs the whole program, so it reports at compilation end (a non-local diagnostic): hosts
            // offer its fix where the diagnostic has been computed (build, full-solution analysis).
            test.CodeFixTestBehaviors |= CodeFixTestBehaviors.SkipLocalDiagnosticCheck;
            test.FixedCode = fixedSource;
            test.FixedState.OutputKind = kind;
            if (batchFixedSource is not null)
            {
                test.BatchFixedCode = batchFixedSource;
                test.BatchFixedState.OutputKind = kind;
            }
        }

        test.ExpectedDiagnostics.AddRange(expected);
        return test;
    }

    [Fact]
    public Task Cleanup_after_the_work_of_Main_runs_on_no_signal() => Test("""

using System;
using System.Runtime.InteropServices;
using System.Threading;
string name = "/killsafe-" + Environment.ProcessId;
{|#0:Native.shm_open(name, 0x42, 0x180)|};
for (int i = 0; i < 1000; i++)
    Thread.Sleep(1000);
Native.shm_unlink(name);

""" + Native, expected: Expected(0, "name", "SIGTERM, SIGINT or SIGHUP")).RunAsync(CancellationToken.None);

    [Fact]
    public Task CancelKeyPress_covers_SIGINT_only_and_ProcessExit_nothing() => Test("""

using System;
using System.Runtime.InteropServices;
using System.Threading;
const string Name = "/killsafe-ctrl-c";
{|#0:Native.shm_open(Name, 0x42, 0x180)|};
Console.CancelKeyPress += (_, _) => Native.shm_unlink(Name);
AppDomain.CurrentDomain.ProcessExit += (_, _) => Native.shm_unlink(Name);
Thread.Sleep(Timeout.Infinite);

""" + Native, expected: Expected(0, "/killsafe-ctrl-c", "SIGTERM or SIGHUP")).RunAsync(CancellationToken.None);

    [Fact]
    public Task Signal_handlers_a_canceling_handler_mark_for_removal_and_libraries_are_quiet()
    {
        const string program = """

using System;
using System.Runtime.InteropServices;
using System.Threading;
class Program
{
    const string Handled = "/killsafe-handled";
    const string Marked = "/killsafe-marked";
    const string Orderly = "/killsafe-orderly";
    static void Main()
    {
        Native.shm_open(Handled, 0x42, 0x180);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Native.shm_unlink(Handled));
        using var intr = PosixSignalRegistration.Create((PosixSignal)(-2), OnInterrupt);

        Native.shm_open(Marked, 0x42, 0x180);
        Native.shm_unlink(Marked); // marked for removal: nothing can come between

        var stop = new CancellationTokenSource();
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, c => { c.Cancel = true; stop.Cancel(); });
        Native.shm_open(Orderly, 0x42, 0x180);
        stop.Token.WaitHandle.WaitOne();
        Native.shm_unlink(Orderly);
    }

    static void OnInterrupt(PosixSignalContext context) => Native.shm_unlink(Handled);
}
""" + Native;
        // Orderly is covered because SIGQUIT's handler cancels... only SIGQUIT: SIGTERM/SIGINT are covered for Handled only.
        return Task.WhenAll(
            Test(program.Replace("Native.shm_open(Orderly", "{|#0:Native.shm_open(Orderly").Replace("0x180);\n        stop.Token", "0x180)|};\n        stop.Token"),
                expected: Expected(0, "/killsafe-orderly", "SIGTERM, SIGINT or SIGHUP")).RunAsync(CancellationToken.None),
            Test(program.Replace("PosixSignal.SIGQUIT, c =>", "PosixSignal.SIGTERM, c =>").Replace("using var hup", "using var hup2 = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });\n        using var hup"))
                .RunAsync(CancellationToken.None),
            Test(program.Replace("static void Main()", "public static void Run()"), kind: OutputKind.DynamicallyLinkedLibrary).RunAsync(CancellationToken.None));
    }

    [Fact]
    public Task Generic_host_shutdown_paths_cover_SIGTERM_and_SIGINT() => Test("""

using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
class Program
{
    static void Main(string[] args)
    {
        Native.shm_open("/killsafe-after-run", 0x42, 0x180);
        IHost host = null!;
        host.Run();
        Native.shm_unlink("/killsafe-after-run");
    }
}
class Worker : IHostedService
{
    public Task StartAsync(CancellationToken token) { Native.shm_open("/killsafe-worker", 0x42, 0x180); return Task.CompletedTask; }
    public Task StopAsync(CancellationToken token) { Native.shm_unlink("/killsafe-worker"); return Task.CompletedTask; }
}
class Stopping
{
    public Stopping(IHostApplicationLifetime lifetime)
    {
        Native.shm_open("/killsafe-stopping", 0x42, 0x180);
        lifetime.ApplicationStopping.Register(() => Native.shm_unlink("/killsafe-stopping"));
    }
}
""" + Native, aspNetCore: true).RunAsync(CancellationToken.None);

    [Fact]
    // One at a time, each fix adds its own guarded handler; Fix All adds one handler for all of Main's objects.
    public Task Fix_All_repeats_Mains_removals_in_one_handler_for_three_signals() => Test("""

using System;
using System.Runtime.InteropServices;
using System.Threading;
string name = "/killsafe-" + Environment.ProcessId;
{|#0:Native.shm_open(name, 0x42, 0x180)|};
const string Other = "/killsafe-other";
{|#1:Native.shm_open(Other, 0x42, 0x180)|};
Thread.Sleep(Timeout.Infinite);
Native.shm_unlink(name);
Native.shm_unlink(Other);

""" + Native, """

using System;
using System.Runtime.InteropServices;
using System.Threading;
string name = "/killsafe-" + Environment.ProcessId;
Native.shm_open(name, 0x42, 0x180);

int cleanedUp = 0;
void CleanUpOnSignal(PosixSignalContext context)
{
    if (Interlocked.Exchange(ref cleanedUp, 1) == 0)
    {
        Native.shm_unlink(name);
    }
}

using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, CleanUpOnSignal);
using var onSigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, CleanUpOnSignal);
using var onSighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, CleanUpOnSignal);
const string Other = "/killsafe-other";
Native.shm_open(Other, 0x42, 0x180);

int cleanedUp2 = 0;
void CleanUpOnSignal2(PosixSignalContext context)
{
    if (Interlocked.Exchange(ref cleanedUp2, 1) == 0)
    {
        Native.shm_unlink(Other);
    }
}

using var onSigterm2 = PosixSignalRegistration.Create(PosixSignal.SIGTERM, CleanUpOnSignal2);
using var onSigint2 = PosixSignalRegistration.Create(PosixSignal.SIGINT, CleanUpOnSignal2);
using var onSighup2 = PosixSignalRegistration.Create(PosixSignal.SIGHUP, CleanUpOnSignal2);
Thread.Sleep(Timeout.Infinite);
Native.shm_unlink(name);
Native.shm_unlink(Other);

""" + Native, batchFixedSource: """

using System;
using System.Runtime.InteropServices;
using System.Threading;
string name = "/killsafe-" + Environment.ProcessId;
Native.shm_open(name, 0x42, 0x180);
const string Other = "/killsafe-other";
Native.shm_open(Other, 0x42, 0x180);

int cleanedUp = 0;
void CleanUpOnSignal(PosixSignalContext context)
{
    if (Interlocked.Exchange(ref cleanedUp, 1) == 0)
    {
        Native.shm_unlink(name);
        Native.shm_unlink(Other);
    }
}

using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, CleanUpOnSignal);
using var onSigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, CleanUpOnSignal);
using var onSighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, CleanUpOnSignal);
Thread.Sleep(Timeout.Infinite);
Native.shm_unlink(name);
Native.shm_unlink(Other);

""" + Native, expected: new[] { Expected(0, "name", "SIGTERM, SIGINT or SIGHUP"), Expected(1, "/killsafe-other", "SIGTERM, SIGINT or SIGHUP") }).RunAsync(CancellationToken.None);

    [Fact]
    public Task Fix_calls_the_owners_Dispose_through_Mains_local() => Test("""

using System;
using System.Runtime.InteropServices;
using System.Threading;

class Program
{
    static void Main()
    {
        var first = new Region("/killsafe-first");
        var second = new Region("/killsafe-second");
        Thread.Sleep(Timeout.Infinite);
    }
}

class Region : IDisposable
{
    private readonly string _name;
    public Region(string name) { _name = name; {|#0:Native.shm_open(_name, 0x42, 0x180)|}; }
    public void Dispose() => Native.shm_unlink(_name);
}
""" + Native, """

using System;
using System.Runtime.InteropServices;
using System.Threading;

class Program
{
    static void Main()
    {
        var first = new Region("/killsafe-first");

        int cleanedUp = 0;
        void CleanUpOnSignal(PosixSignalContext context)
        {
            if (Interlocked.Exchange(ref cleanedUp, 1) == 0)
            {
                first.Dispose();
            }
        }

        using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, CleanUpOnSignal);
        using var onSigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, CleanUpOnSignal);
        using var onSighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, CleanUpOnSignal);
        var second = new Region("/killsafe-second");
        Thread.Sleep(Timeout.Infinite);
    }
}

class Region : IDisposable
{
    private readonly string _name;
    public Region(string name) { _name = name; Native.shm_open(_name, 0x42, 0x180); }
    public void Dispose() => Native.shm_unlink(_name);
}
""" + Native, expected: Expected(0, "_name", "SIGTERM, SIGINT or SIGHUP")).RunAsync(CancellationToken.None);

    private static DiagnosticResult SocketFile(int marker, string display, string uncovered = "SIGTERM, SIGINT or SIGHUP") =>
        new DiagnosticResult(SignalPathMissesCleanupAnalyzer.Rule).WithLocation(marker).WithArguments("Bind", "the Unix socket file", display, uncovered);

    private static KillSafeTest<SignalPathMissesCleanupAnalyzer, SignalCleanupCodeFix> SocketFileTest(string source, string? fixedSource = null, bool aspNetCore = false, params DiagnosticResult[] expected)
    {
        var test = new KillSafeTest<SignalPathMissesCleanupAnalyzer, SignalCleanupCodeFix>(aspNetCore ? ExtraReferences.AspNetCore : ExtraReferences.None) { TestCode = source };
        test.TestState.OutputKind = OutputKind.ConsoleApplication;
        if (fixedSource is not null)
        {
            test.CodeFixTestBehaviors |= CodeFixTestBehaviors.SkipLocalDiagnosticCheck;
            test.FixedCode = fixedSource;
            test.FixedState.OutputKind = OutputKind.ConsoleApplication;
        }

        test.ExpectedDiagnostics.AddRange(expected);
        return test;
    }

    [Fact]
    public Task ProcessExit_cleanup_runs_on_signals_whose_handler_calls_Environment_Exit() => SocketFileTest("""

using System;
using System.Runtime.InteropServices;
using System.Threading;
string name = "/killsafe-" + Environment.ProcessId;
Native.shm_open(name, 0x42, 0x180);
AppDomain.CurrentDomain.ProcessExit += (_, _) => Native.shm_unlink(name);
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0));
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Environment.Exit(130));
Thread.Sleep(Timeout.Infinite);

""" + Native).RunAsync(CancellationToken.None);

    [Fact]
    public Task ProcessExit_cleanup_is_reported_for_the_signals_that_do_not_exit() => SocketFileTest("""

using System;
using System.Runtime.InteropServices;
using System.Threading;
string name = "/killsafe-" + Environment.ProcessId;
{|#0:Native.shm_open(name, 0x42, 0x180)|};
AppDomain.CurrentDomain.ProcessExit += (_, _) => Native.shm_unlink(name);
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0));
Thread.Sleep(Timeout.Infinite);

""" + Native, expected: new DiagnosticResult(SignalPathMissesCleanupAnalyzer.Rule).WithLocation(0).WithArguments("shm_open", "the POSIX shared memory object", "name", "SIGINT or SIGHUP")).RunAsync(CancellationToken.None);

    [Fact]
    public Task A_managed_socket_disposed_by_using_leaves_its_file_on_a_signal_and_the_fix_disposes_it_from_the_handler() => SocketFileTest("""

using System;
using System.Net.Sockets;
var path = "/run/app-" + Environment.ProcessId + ".sock";
using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
{|#0:socket.Bind(new UnixDomainSocketEndPoint(path))|};
socket.Listen();
while (true)
    socket.Accept().Dispose();

""", """

using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
var path = "/run/app-" + Environment.ProcessId + ".sock";
using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
socket.Bind(new UnixDomainSocketEndPoint(path));

int cleanedUp = 0;
void CleanUpOnSignal(PosixSignalContext context)
{
    if (Interlocked.Exchange(ref cleanedUp, 1) == 0)
    {
        socket.Dispose();
    }
}

using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, CleanUpOnSignal);
using var onSigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, CleanUpOnSignal);
using var onSighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, CleanUpOnSignal);
socket.Listen();
while (true)
    socket.Accept().Dispose();

""", expected: SocketFile(0, "path")).RunAsync(CancellationToken.None);

    [Fact]
    public Task A_managed_socket_file_deleted_only_in_ProcessExit_is_reported() => SocketFileTest("""

using System;
using System.IO;
using System.Net.Sockets;
using System.Threading;

static class Program
{
    const string SocketPath = "/run/app.sock";
    static readonly Socket Listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    static void Main()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(SocketPath);
        {|#0:Listener.Bind(new UnixDomainSocketEndPoint(SocketPath))|};
        Listener.Listen();
        Thread.Sleep(Timeout.Infinite);
    }
}

""", expected: SocketFile(0, "/run/app.sock")).RunAsync(CancellationToken.None);

    [Fact]
    public Task A_managed_socket_that_nobody_means_to_remove_is_left_to_KS2001() => SocketFileTest("""

using System;
using System.Net.Sockets;
using System.Threading;
var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
socket.Bind(new UnixDomainSocketEndPoint("/run/app.sock"));
socket.Listen();
Thread.Sleep(Timeout.Infinite);

""").RunAsync(CancellationToken.None);

    [Fact]
    public Task A_managed_socket_disposed_from_the_SIGTERM_and_SIGINT_handlers_is_covered() => SocketFileTest("""

using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
socket.Bind(new UnixDomainSocketEndPoint("/run/app.sock"));
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => socket.Dispose());
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => socket.Dispose());
socket.Listen();
Thread.Sleep(Timeout.Infinite);

""").RunAsync(CancellationToken.None);

    [Fact]
    public Task A_managed_socket_in_a_hosted_service_is_disposed_by_the_hosts_shutdown() => SocketFileTest("""

using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddHostedService<Listener>();
builder.Build().Run();

sealed class Listener : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint("/run/worker.sock"));
        socket.Listen();
        while (!stoppingToken.IsCancellationRequested)
            (await socket.AcceptAsync(stoppingToken)).Dispose();
    }
}

""", aspNetCore: true).RunAsync(CancellationToken.None);
}
