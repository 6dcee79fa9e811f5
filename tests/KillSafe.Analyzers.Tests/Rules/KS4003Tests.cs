using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using VerifyKS4003 = Verify<UncatchableSignalAnalyzer, EmptyCodeFixProvider>;

public class KS4003Tests
{
    private static DiagnosticResult Expected(int marker, string api, string signal) =>
        VerifyKS4003.Diagnostic(UncatchableSignalAnalyzer.Rule).WithLocation(marker).WithArguments(api, signal);

    [Fact]
    public Task Handlers_for_SIGKILL_and_SIGSTOP_are_flagged_in_every_spelling() => VerifyKS4003.AnalyzerAsync("""

using System;
using System.Runtime.InteropServices;
using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Cleanup
{
    const int Kill = 9;
    [DllImport("libc")] static extern IntPtr signal(int signum, IntPtr handler);
    void M(sigaction* action)
    {
        {|#0:PosixSignalRegistration.Create((PosixSignal)9, c => { })|};
        {|#1:PosixSignalRegistration.Create((PosixSignal)Kill, c => { })|};
        {|#2:sigaction(SIGKILL, action, null)|};
        {|#3:signal(19, IntPtr.Zero)|};
    }
}
""", ExtraReferences.TmdsLibC,
        Expected(0, "Create", "SIGKILL"), Expected(1, "Create", "SIGKILL"), Expected(2, "sigaction", "SIGKILL"), Expected(3, "signal", "SIGSTOP"));

    [Fact]
    public Task Catchable_signals_are_quiet() => VerifyKS4003.AnalyzerAsync("""

using System.Runtime.InteropServices;
using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Cleanup
{
    void M(sigaction* action, PosixSignal configured)
    {
        PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { });
        PosixSignalRegistration.Create((PosixSignal)15, c => { });
        PosixSignalRegistration.Create(configured, c => { });
        sigaction(SIGTERM, action, null);
    }
}
""", ExtraReferences.TmdsLibC);
}
