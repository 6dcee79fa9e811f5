using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using KillSafe.Verification;
using Xunit;

namespace KillSafe.EndToEnd.Tests.Evidence;

/// <summary>
/// Evidence for the lifetime rules (KS4001, KS4002) with real children and real POSIX shared memory:
/// the flagged program, ended by SIGTERM, leaves its object in /dev/shm; the program the fix produces
/// leaves nothing. Names include the test's pid; whatever a failure leaves is swept (dead owners only).
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
