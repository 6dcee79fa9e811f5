using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using KillSafe.Verification;
using Xunit;

namespace KillSafe.EndToEnd.Tests.Evidence;

/// <summary>
/// Evidence for the lifetime rules (KS4001, KS4002, KS4004) with real children and real POSIX shared memory or
/// files: the flagged program, ended by SIGTERM, leaves its object in /dev/shm (or its file); the program the
/// fix produces leaves nothing. Names include the test's pid; whatever a failure leaves is swept (dead owners only).
/// </summary>
[Collection(IpcEvidenceTests.Serial)]
public sealed class LifetimeEvidenceTests : KernelObjectEvidence
{
    // The SIGTERM handler disposes the owner when it can: a no-op until the KS4002 fix makes Region disposable.
    private const string FinalizerProgram = """
        using System;
        using System.Runtime.InteropServices;
        using System.Threading;

        var region = new Region(args[0]);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => (region as IDisposable)?.Dispose());
        Console.WriteLine("READY");
        Thread.Sleep(Timeout.Infinite);

        class Region
        {
            private readonly string _name;

            public Region(string name)
            {
                _name = name;
                Native.shm_open(_name, 0x42, 0x180);
            }

            ~Region()
            {
                Native.shm_unlink(_name);
            }
        }

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int shm_open(string name, int flags, uint mode);

            [DllImport("libc", SetLastError = true)]
            public static extern int shm_unlink(string name);
        }
        """;

    // Cleans up after its work, which a signal never lets it finish.
    private const string SignalProgram = """
        using System;
        using System.Runtime.InteropServices;
        using System.Threading;

        string name = args[0];
        Native.shm_open(name, 0x42, 0x180);
        Console.WriteLine("READY");
        Thread.Sleep(Timeout.Infinite);
        Native.shm_unlink(name);

        static class Native
        {
            [DllImport("libc", SetLastError = true)]
            public static extern int shm_open(string name, int flags, uint mode);

            [DllImport("libc", SetLastError = true)]
            public static extern int shm_unlink(string name);
        }
        """;

    // The cleanup a .NET 8 program put in ProcessExit, and a second one in the default context's Unloading.
    private const string ExitHandlerProgram = """
        using System;
        using System.IO;
        using System.Runtime.Loader;
        using System.Threading;

        File.WriteAllText(args[0], "running");
        File.WriteAllText(args[1], "running");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(args[0]);
        AssemblyLoadContext.Default.Unloading += _ => File.Delete(args[1]);
        Console.WriteLine("READY");
        Thread.Sleep(Timeout.Infinite);
        """;

    [Fact]
    public async Task KS4004_exit_handlers_do_not_run_on_SIGTERM_and_after_the_fix_they_do_with_exit_code_0()
    {
        string Marker(string run, string handler) => Path.Combine(Scratch.Path, $"{run}-{handler}-{Environment.ProcessId}.state");
        var flagged = await KillRunAsync(Build(ExitHandlerProgram, "ExitHandlerFlagged"), KillSignal.Term, Marker("flagged", "exit"), Marker("flagged", "unloading"));
        Assert.Equal(128 + 15, flagged.ExitCode); // the kernel's default action: killed by SIGTERM
        Assert.True(File.Exists(Marker("flagged", "exit")), "ProcessExit ran on SIGTERM: the runtime handles SIGTERM again, and KS4004 is wrong");
        Assert.True(File.Exists(Marker("flagged", "unloading")), "Unloading ran on SIGTERM");

        var fixedSource = await FixedAsync(ExitHandlerProgram, ExitHandlerMissesSigtermAnalyzer.DiagnosticId, new ExitHandlerMissesSigtermAnalyzer(), new ExitOnSigtermCodeFix());
        Assert.Contains("PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0))", fixedSource);
        var fixedRun = await KillRunAsync(Build(fixedSource, "ExitHandlerFixed"), KillSignal.Term, Marker("fixed", "exit"), Marker("fixed", "unloading"));
        Assert.Equal(0, fixedRun.ExitCode); // Environment.Exit(0), as the breaking-change page says
        Assert.False(File.Exists(Marker("fixed", "exit")), "ProcessExit did not run on SIGTERM after the fix");
        Assert.False(File.Exists(Marker("fixed", "unloading")), "Unloading did not run on SIGTERM after the fix");
    }

    // Disposes its socket (which deletes the file) at the end of Main, which a signal never lets it reach.
    private const string ManagedSocketProgram = """
        using System;
        using System.Net.Sockets;
        using System.Threading;

        var path = args[0];
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen();
        Console.WriteLine("READY");
        Thread.Sleep(Timeout.Infinite);
        """;

    [Fact]
    public async Task KS4001_a_managed_socket_file_stays_on_SIGTERM_despite_using_and_the_fixed_handler_removes_it()
    {
        var flaggedPath = Path.Combine(Scratch.Path, $"flagged-{Environment.ProcessId}.sock");
        var flagged = await KillRunAsync(Build(ManagedSocketProgram, "ManagedSocketFlagged"), KillSignal.Term, flaggedPath);
        Assert.Equal(128 + 15, flagged.ExitCode);
        Assert.True(File.Exists(flaggedPath), "the socket file did not stay after SIGTERM: the using ran, and KS4001 is wrong here");
        Assert.Contains(flagged.Leaks.Leftovers, l => l.Identity == flaggedPath);

        var fixedSource = await FixedAsync(ManagedSocketProgram, SignalPathMissesCleanupAnalyzer.DiagnosticId, new SignalPathMissesCleanupAnalyzer(), new SignalCleanupCodeFix());
        Assert.Contains("socket.Dispose();", fixedSource);
        var fixedPath = Path.Combine(Scratch.Path, $"fixed-{Environment.ProcessId}.sock");
        var fixedRun = await KillRunAsync(Build(fixedSource, "ManagedSocketFixed"), KillSignal.Term, fixedPath);
        Assert.Equal(128 + 15, fixedRun.ExitCode); // the handler does not cancel: the process still ends with the signal
        Assert.False(File.Exists(fixedPath), "the fixed handler did not remove the socket file");
        Assert.DoesNotContain(fixedRun.Leaks.Leftovers, l => l.Identity == fixedPath);
    }

    [Theory]
    [InlineData("Term")]
    [InlineData("Hup")]
    public async Task KS4001_cleanup_after_the_work_never_runs_on_a_signal_and_the_fixed_handler_runs_it(string signalName)
    {
        var signal = signalName == "Term" ? KillSignal.Term : KillSignal.Hup;
        var name = UniqueName("ks4001");
        var flagged = await KillRunAsync(Build(SignalProgram, "SignalFlagged" + signalName), signal, "/" + name);
        Assert.Contains(flagged.Leaks.Leftovers, l => l.Identity == "/dev/shm/" + name && l.Owner.Alive == Liveness.Dead);

        var fixedSource = await FixedAsync(SignalProgram, SignalPathMissesCleanupAnalyzer.DiagnosticId, new SignalPathMissesCleanupAnalyzer(), new SignalCleanupCodeFix());
        Assert.Contains("PosixSignal.SIGHUP", fixedSource);
        var fixedName = UniqueName("ks4001");
        var fixedRun = await KillRunAsync(Build(fixedSource, "SignalFixed" + signalName), signal, "/" + fixedName);
        Assert.Equal(flagged.ExitCode, fixedRun.ExitCode); // the handler does not cancel: the process still ends with the signal
        Assert.DoesNotContain(fixedRun.Leaks.Leftovers, l => l.Identity == "/dev/shm/" + fixedName);
        Assert.False(File.Exists("/dev/shm/" + fixedName));
    }

    [Fact]
    public async Task KS4002_finalizer_cleanup_never_runs_on_SIGTERM_and_the_fixed_Dispose_does()
    {
        var name = UniqueName("ks4002");
        var flagged = await KillRunAsync(Build(FinalizerProgram, "FinalizerFlagged"), KillSignal.Term, "/" + name);
        Assert.Equal(128 + 15, flagged.ExitCode);
        Assert.Contains(flagged.Leaks.Leftovers, l => l.Identity == "/dev/shm/" + name && l.Owner.Alive == Liveness.Dead);

        var fixedSource = await FixedAsync(FinalizerProgram, FinalizerOnlyCleanupAnalyzer.DiagnosticId, new FinalizerOnlyCleanupAnalyzer(), new DisposeRunsFinalizerCleanupCodeFix());
        Assert.Contains("GC.SuppressFinalize(this)", fixedSource);
        var fixedName = UniqueName("ks4002");
        var fixedRun = await KillRunAsync(Build(fixedSource, "FinalizerFixed"), KillSignal.Term, "/" + fixedName);
        Assert.Equal(128 + 15, fixedRun.ExitCode);
        Assert.DoesNotContain(fixedRun.Leaks.Leftovers, l => l.Identity == "/dev/shm/" + fixedName);
        Assert.False(File.Exists("/dev/shm/" + fixedName));
    }
}
