using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

/// <summary>
/// KS4001 with exit handlers (a SIGTERM handler that calls Environment.Exit makes ProcessExit's cleanup run)
/// and with socket files of managed Socket.Bind, when the program means to remove them (a using, Dispose,
/// File.Delete, an exit handler) and no signal reaches that cleanup.
/// </summary>
public class KS4001ExitAndSocketFileTests
{
    private const string Native = @"
static class Native
{
    [DllImport(""libc"")] public static extern int shm_open(string name, int flags, uint mode);
    [DllImport(""libc"")] public static extern int shm_unlink(string name);
}";

    private static DiagnosticResult SocketFile(int marker, string display, string uncovered = "SIGTERM, SIGINT or SIGHUP") =>
        new DiagnosticResult(SignalPathMissesCleanupAnalyzer.Rule).WithLocation(marker).WithArguments("Bind", "the Unix socket file", display, uncovered);

    private static KillSafeTest<SignalPathMissesCleanupAnalyzer, SignalCleanupCodeFix> Test(string source, string? fixedSource = null, bool aspNetCore = false, params DiagnosticResult[] expected)
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
    public Task ProcessExit_cleanup_runs_on_signals_whose_handler_calls_Environment_Exit() => Test(@"
using System;
using System.Runtime.InteropServices;
using System.Threading;
string name = ""/killsafe-"" + Environment.ProcessId;
Native.shm_open(name, 0x42, 0x180);
AppDomain.CurrentDomain.ProcessExit += (_, _) => Native.shm_unlink(name);
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0));
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Environment.Exit(130));
Thread.Sleep(Timeout.Infinite);
" + Native).RunAsync(CancellationToken.None);

    [Fact]
    public Task ProcessExit_cleanup_is_reported_for_the_signals_that_do_not_exit() => Test(@"
using System;
using System.Runtime.InteropServices;
using System.Threading;
string name = ""/killsafe-"" + Environment.ProcessId;
{|#0:Native.shm_open(name, 0x42, 0x180)|};
AppDomain.CurrentDomain.ProcessExit += (_, _) => Native.shm_unlink(name);
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0));
Thread.Sleep(Timeout.Infinite);
" + Native, expected: new DiagnosticResult(SignalPathMissesCleanupAnalyzer.Rule).WithLocation(0).WithArguments("shm_open", "the POSIX shared memory object", "name", "SIGINT or SIGHUP")).RunAsync(CancellationToken.None);

    [Fact]
    public Task A_managed_socket_disposed_by_using_leaves_its_file_on_a_signal_and_the_fix_disposes_it_from_the_handler() => Test(@"
using System;
using System.Net.Sockets;
var path = ""/run/app-"" + Environment.ProcessId + "".sock"";
using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
{|#0:socket.Bind(new UnixDomainSocketEndPoint(path))|};
socket.Listen();
while (true)
    socket.Accept().Dispose();
", @"
using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
var path = ""/run/app-"" + Environment.ProcessId + "".sock"";
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
", expected: SocketFile(0, "path")).RunAsync(CancellationToken.None);

    [Fact]
    public Task A_managed_socket_file_deleted_only_in_ProcessExit_is_reported() => Test(@"
using System;
using System.IO;
using System.Net.Sockets;
using System.Threading;

static class Program
{
    const string SocketPath = ""/run/app.sock"";
    static readonly Socket Listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    static void Main()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(SocketPath);
        {|#0:Listener.Bind(new UnixDomainSocketEndPoint(SocketPath))|};
        Listener.Listen();
        Thread.Sleep(Timeout.Infinite);
    }
}
", expected: SocketFile(0, "/run/app.sock")).RunAsync(CancellationToken.None);

    [Fact]
    public Task A_managed_socket_that_nobody_means_to_remove_is_left_to_KS2001() => Test(@"
using System;
using System.Net.Sockets;
using System.Threading;
var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
socket.Bind(new UnixDomainSocketEndPoint(""/run/app.sock""));
socket.Listen();
Thread.Sleep(Timeout.Infinite);
").RunAsync(CancellationToken.None);

    [Fact]
    public Task A_managed_socket_disposed_from_the_SIGTERM_and_SIGINT_handlers_is_covered() => Test(@"
using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
socket.Bind(new UnixDomainSocketEndPoint(""/run/app.sock""));
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => socket.Dispose());
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => socket.Dispose());
socket.Listen();
Thread.Sleep(Timeout.Infinite);
").RunAsync(CancellationToken.None);

    [Fact]
    public Task A_managed_socket_in_a_hosted_service_is_disposed_by_the_hosts_shutdown() => Test(@"
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
        socket.Bind(new UnixDomainSocketEndPoint(""/run/worker.sock""));
        socket.Listen();
        while (!stoppingToken.IsCancellationRequested)
            (await socket.AcceptAsync(stoppingToken)).Dispose();
    }
}
", aspNetCore: true).RunAsync(CancellationToken.None);
}
