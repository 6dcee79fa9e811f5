using KillSafe.Analyzers.Rules;
using KillSafe.Verification;
using Xunit;

namespace KillSafe.EndToEnd.Tests.Evidence;

/// <summary>
/// KS5001 with a real process tree: the flagged service starts `sleep` and is ended by SIGTERM; the child
/// runs on, re-parented. The documented pattern (kill the tree from a SIGTERM handler) leaves no child.
/// The test ends the orphan itself, by the pid its parent reported.
/// </summary>
public sealed class ChildProcessEvidenceTests : SocketEvidence
{
    private static string Program(string afterStart) => $$"""
        using System;
        using System.Diagnostics;
        using System.Runtime.InteropServices;
        using System.Threading;

        var child = Process.Start("sleep", "{{Marker}}")!;
        {{afterStart}}
        Console.WriteLine("CHILD " + child.Id);
        Console.WriteLine("READY");
        while (true)
            Thread.Sleep(1000);
        """;

    // A sleep long enough to outlive the test, with a number that tells our child from any other sleep.
    private static readonly string Marker = (3000 + Environment.ProcessId % 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private const string KillTreeOnSigterm = """
        using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => { child.Kill(entireProcessTree: true); child.WaitForExit(); });
        """;

    private static bool IsOurSleep(int pid) =>
        File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim() == "sleep " + Marker;

    private static int ParentOf(int pid) => KillSafe.Verification.Proc.ProcStat.Parse(File.ReadAllText($"/proc/{pid}/stat")).ParentPid;

    private async Task<(int Parent, int Child)> StartAndTerminateAsync(string source, string name)
    {
        var parent = Run(Build(source, name));
        await parent.WaitForOutputAsync("READY", Timeout);
        int child = int.Parse(parent.Output.Split('\n').First(l => l.StartsWith("CHILD ", StringComparison.Ordinal))[6..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(IsOurSleep(child));
        Assert.Equal(parent.Pid, ParentOf(child));
        await parent.KillAsync(KillSignal.Term, Timeout);
        return (parent.Pid, child);
    }

    [Fact]
    public async Task KS5001_child_outlives_its_parent_unless_the_tree_is_killed_on_shutdown()
    {
        var flagged = Program(string.Empty);
        Assert.Contains(await AnalyzerRun.DiagnosticsAsync(flagged, new OrphanedChildProcessAnalyzer()), d => d.Id == OrphanedChildProcessAnalyzer.DiagnosticId);
        var (parent, orphan) = await StartAndTerminateAsync(flagged, "ChildFlagged");
        try
        {
            Assert.True(IsOurSleep(orphan), "the child should still run after its parent died");
            Assert.NotEqual(parent, ParentOf(orphan)); // re-parented to init or a subreaper
        }
        finally
        {
            if (IsOurSleep(orphan))
                System.Diagnostics.Process.GetProcessById(orphan).Kill();
        }

        var tied = Program(KillTreeOnSigterm);
        Assert.DoesNotContain(await AnalyzerRun.DiagnosticsAsync(tied, new OrphanedChildProcessAnalyzer()), d => d.Id == OrphanedChildProcessAnalyzer.DiagnosticId);
        var (_, child) = await StartAndTerminateAsync(tied, "ChildTied");
        Assert.False(IsOurSleep(child), "the handler should have ended the child with its parent");
    }
}
